/**
 * What `shimmy workflow run` and `add` read from their arguments: the workflow (a document file, or a
 * saved workflow's name and version) and the run's input (`--input JSON`, `--input @FILE`, or
 * `key=value` and `key:=JSON` fields).
 */
import fs from "node:fs";
import { UsageError } from "./usage-error.js";
import type { RunTarget, WorkflowClient } from "./workflow-client.js";

/** A file the command was pointed at could not be used: the work fails (exit 1), the command line was fine. */
export class FileProblem extends Error {}

/** What `FILE|NAME[@VERSION]` names, and its steps for the live view. */
export async function resolveTarget(arg: string, client: WorkflowClient): Promise<{ target: RunTarget; steps: { id: string; uses: string }[] }> {
  if (isFile(arg)) {
    const document = readJsonFile(arg, "workflow document");
    return { target: { document }, steps: stepsOf(document) };
  }
  if (arg.endsWith(".json") || arg.includes("/") || arg.includes("\\")) throw new FileProblem(`cannot read ${arg}: there is no such file`);
  const match = /^(.+)@(\d+)$/.exec(arg);
  const name = match ? match[1]! : arg;
  const version = match ? Number(match[2]) : undefined;
  // The saved document gives the steps to draw before they start; a missing name is refused here.
  const saved = await client.get(name, version);
  return { target: { name, ...(version === undefined ? {} : { version }) }, steps: stepsOf(saved.document) };
}

function isFile(file: string): boolean {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The steps of a document, read leniently: the server checks it. */
function stepsOf(document: unknown): { id: string; uses: string }[] {
  const steps = (document as { steps?: unknown } | null)?.steps;
  if (!Array.isArray(steps)) return [];
  return steps.flatMap((step: { id?: unknown; uses?: unknown } | null) => (typeof step?.id === "string" ? [{ id: step.id, uses: typeof step.uses === "string" ? step.uses : "?" }] : []));
}

export function readJsonFile(file: string, what: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new FileProblem(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "there is no such file" : (err as Error).message}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new FileProblem(`${file} is not JSON (a ${what} is a JSON object): ${(err as Error).message}`);
  }
}

/**
 * The run's input: `--input JSON` (or `@FILE`), or `key=value` (a string) and `key:=JSON` fields;
 * undefined when neither is given (the server takes `{}`).
 * @throws UsageError for JSON that does not parse, a field without `=`, or both forms at once.
 */
export function parseInput(raw: string | undefined, fields: readonly string[]): unknown {
  if (raw !== undefined && fields.length > 0) throw new UsageError("give the input as --input JSON or as key=value fields, not both");
  if (raw !== undefined) {
    const text = raw.startsWith("@") ? readInputFile(raw.slice(1)) : raw;
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      throw new UsageError(`--input must be JSON (${(err as Error).message}); for text, write key=value instead`);
    }
  }
  if (fields.length === 0) return undefined;
  const input: Record<string, unknown> = {};
  for (const field of fields) {
    const at = field.indexOf("=");
    if (at <= 0) throw new UsageError(`expected key=value or key:=JSON, got "${field}"`);
    const json = field[at - 1] === ":";
    const key = field.slice(0, json ? at - 1 : at);
    const value = field.slice(at + 1);
    if (key === "") throw new UsageError(`expected key=value or key:=JSON, got "${field}"`);
    if (!json) {
      input[key] = value;
      continue;
    }
    try {
      input[key] = JSON.parse(value) as unknown;
    } catch (err) {
      throw new UsageError(`${key}:= takes JSON (${(err as Error).message}); for text, write ${key}=${value}`);
    }
  }
  return input;
}

function readInputFile(file: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new UsageError(`--input @${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

