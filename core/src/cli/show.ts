/**
 * `shimmy show MODEL`: what a model's GGUF header says (architecture, parameters, quantization,
 * context length, embedding size, chat template, licence) and where its files are, read without
 * loading the weights. MODEL is a discovery id or a path to a .gguf. Text for a person, one JSON
 * document with `--json`. Exit codes: 0 shown, 1 not found or unreadable, 2 a usage mistake.
 */
import fs from "node:fs/promises";
import { parseArgs } from "node:util";
import { serverTarget, type ShimmyEnv } from "../config/environment.js";
import { metadataValue } from "../models/gguf-check.js";
import { GgufFormatError, readGgufHeader } from "../models/gguf-reader.js";
import { fileTypeName, quantizationFromName } from "../models/ggml-types.js";
import { ApiClient } from "./api-client.js";
import { formatBytes } from "./format.js";
import { findModel } from "./model-target.js";

/** Where `shimmy show` reads its environment and writes; `process`'s by default, fakes in tests. */
export interface ShowIO {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  env: ShimmyEnv;
  cwd: string;
}

/** The text of `shimmy show --help`. */
export function showUsage(): string {
  return `Usage: shimmy show MODEL [options]

Prints what a model's GGUF header says, without loading it: architecture, parameter count,
quantization, context length, embedding size, chat template, licence, files and size.

MODEL:
  An id as shimmy models list names it (org/repo:Q4_K_M), or a path to a .gguf file.

Options:
  --template              Print the whole chat template (the text shows its first lines).
  --json                  Print one JSON document instead of text.
  --url URL               A running server to ask for ids it serves that discovery here does not find.
                          Variable: SHIMMY_URL.
  --api-key KEY           Sent to that server. Variable: SHIMMY_API_KEY.
  -h, --help              Print this help.
`;
}

/** What `shimmy show --json` prints. */
export interface ModelDetails {
  id: string | null;
  path: string;
  files: Array<{ path: string; size_bytes: number }>;
  size_bytes: number;
  name: string | null;
  architecture: string | null;
  parameter_count: number | null;
  quantization: string | null;
  context_length: number | null;
  embedding_length: number | null;
  license: string | null;
  chat_template: string | null;
}

// Lines of the chat template the text output shows without --template.
const TEMPLATE_LINES = 8;

const text = (value: unknown): string | null => (typeof value === "string" && value !== "" ? value : null);
const integer = (value: unknown): number | null => {
  const n = typeof value === "bigint" ? Number(value) : value;
  return typeof n === "number" && Number.isInteger(n) ? n : null;
};

/** Reads the details of a model's files: the first part's metadata, every part's tensors. */
export async function readModelDetails(id: string | null, parts: readonly string[]): Promise<ModelDetails> {
  const files: ModelDetails["files"] = [];
  let elements = 0;
  let metadata: Record<string, unknown> = {};
  for (const [i, part] of parts.entries()) {
    const size = (await fs.stat(part)).size;
    const header = await readGgufHeader(part, size);
    if (i === 0) metadata = header.metadata;
    elements += header.elementCount;
    files.push({ path: part, size_bytes: size });
  }
  const architecture = text(metadataValue(metadata, "general.architecture"));
  const license = metadataValue(metadata, "general.license");
  return {
    id,
    path: parts[0]!,
    files,
    size_bytes: files.reduce((sum, f) => sum + f.size_bytes, 0),
    name: text(metadataValue(metadata, "general.name")),
    architecture,
    parameter_count: elements > 0 ? elements : null,
    quantization: fileTypeName(metadataValue(metadata, "general.file_type")) ?? quantizationFromName(parts[0]!),
    context_length: architecture ? integer(metadataValue(metadata, `${architecture}.context_length`)) : null,
    embedding_length: architecture ? integer(metadataValue(metadata, `${architecture}.embedding_length`)) : null,
    license: Array.isArray(license) ? license.join(", ") || null : text(license),
    chat_template: text(metadataValue(metadata, "tokenizer.chat_template")),
  };
}

/** `135M`, `1.2B`: the parameter count as model cards write it. */
function formatParameters(count: number): string {
  if (count >= 1e9) return `${(count / 1e9).toFixed(count >= 1e10 ? 0 : 1)}B`;
  if (count >= 1e6) return `${(count / 1e6).toFixed(count >= 1e7 ? 0 : 1)}M`;
  if (count >= 1e3) return `${(count / 1e3).toFixed(count >= 1e4 ? 0 : 1)}K`;
  return String(count);
}

/** The text a person reads. */
export function formatModelDetails(details: ModelDetails, wholeTemplate: boolean): string {
  const unknown = "unknown";
  const rows: Array<[string, string]> = [
    ["model", details.id ?? details.path],
    ...(details.name ? [["name", details.name] as [string, string]] : []),
    ["architecture", details.architecture ?? unknown],
    ["parameters", details.parameter_count === null ? unknown : `${formatParameters(details.parameter_count)} (${details.parameter_count})`],
    ["quantization", details.quantization ?? unknown],
    ["context length", details.context_length === null ? unknown : String(details.context_length)],
    ["embedding size", details.embedding_length === null ? unknown : String(details.embedding_length)],
    ["licence", details.license ?? "none named"],
    ["size", formatBytes(details.size_bytes)],
  ];
  const lines = rows.map(([key, value]) => `${key.padEnd(16)}${value}`);
  lines.push(details.files.length === 1 ? `${"file".padEnd(16)}${details.path}` : `files`);
  if (details.files.length > 1) for (const f of details.files) lines.push(`  ${f.path} (${formatBytes(f.size_bytes)})`);
  if (details.chat_template === null) {
    lines.push(`${"chat template".padEnd(16)}none`);
  } else {
    const all = details.chat_template.split("\n");
    const shown = wholeTemplate ? all : all.slice(0, TEMPLATE_LINES);
    lines.push("chat template", ...shown.map((line) => `  ${line}`));
    if (shown.length < all.length) lines.push(`  … ${all.length - shown.length} more lines (--template prints them all)`);
  }
  return lines.join("\n") + "\n";
}

function processIO(): ShowIO {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
}

/** Runs `shimmy show ARGV…` and resolves with the exit code. Unexpected failures are thrown. */
export async function showCommand(argv: string[], io: ShowIO = processIO()): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv, allowPositionals: true,
      options: { json: { type: "boolean" }, template: { type: "boolean" }, url: { type: "string" }, "api-key": { type: "string" }, help: { type: "boolean", short: "h" } },
    });
  } catch (err) {
    io.stderr.write(`shimmy show: ${(err as Error).message}; see shimmy show --help\n`);
    return 2;
  }
  if (parsed.values.help) {
    io.stdout.write(showUsage());
    return 0;
  }
  if (parsed.positionals.length !== 1) {
    io.stderr.write("shimmy show: expects one MODEL, an id or a path to a .gguf; see shimmy show --help\n");
    return 2;
  }
  const model = parsed.positionals[0]!;
  const server = new ApiClient(serverTarget({ url: parsed.values.url, apiKey: parsed.values["api-key"] }, io.env));
  const target = await findModel(model, { env: io.env, cwd: io.cwd, server });
  if (!target) {
    io.stderr.write(`shimmy show: no model "${model}" here or on ${server.url}; shimmy models list shows the ids a server serves\n`);
    return 1;
  }
  let details: ModelDetails;
  try {
    details = await readModelDetails(target.id, target.parts);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (!(err instanceof GgufFormatError) && code === undefined) throw err;
    io.stderr.write(`shimmy show: cannot read ${target.path}: ${(err as Error).message}\n`);
    return 1;
  }
  io.stdout.write(parsed.values.json ? JSON.stringify(details) + "\n" : formatModelDetails(details, parsed.values.template === true));
  return 0;
}
