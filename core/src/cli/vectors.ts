/**
 * `shimmy vectors create NAME | list | add STORE FILE… | search STORE TEXT`: vector stores on a
 * running server, through its OpenAI routes (`/v1/files`, `/v1/vector_stores`), as any client
 * would call them. `add` uploads each file, attaches them as one file batch, and shows a progress
 * bar (percent lines off a terminal) until ingestion ends.
 */
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { serverTarget, type ServerTarget } from "../config/index.js";
import { createProgress, type ProgressStream } from "./progress.js";
import { renderTable } from "./table.js";

/** Where the command reads its environment and writes; `process`'s by default. */
export interface VectorsCliIO {
  stdout: { write(text: string): unknown };
  stderr: ProgressStream;
  env: NodeJS.ProcessEnv;
}

/** The text of `shimmy vectors --help`. */
export function vectorsUsage(): string {
  return `Usage: shimmy vectors <command> [options]

Vector stores on a running server (OpenAI's /v1/vector_stores).

Commands:
  create NAME             Create a store (--embedding-model MODEL to choose its model).
  list                    List the stores.
  add STORE FILE...       Upload files and add them to a store; waits for ingestion, with progress.
  search STORE TEXT       Search a store (--ranker vector|keyword|hybrid, --limit N).

Options:
  --json                  Print JSON for programs instead of text.
  --url URL               The server (default $SHIMMY_URL or http://127.0.0.1:11435).
  --api-key KEY           Its API key (default $SHIMMY_API_KEY).
  -h, --help              Print this help.
`;
}

/** An error the server answered, in OpenAI's shape. */
class ServerError extends Error {}

async function call<T>(target: ServerTarget, method: string, route: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = target.apiKey ? { authorization: `Bearer ${target.apiKey}` } : {};
  let init: RequestInit = { method, headers };
  if (body instanceof FormData) init = { ...init, body };
  else if (body !== undefined) init = { ...init, headers: { ...headers, "content-type": "application/json" }, body: JSON.stringify(body) };
  let response: Response;
  try {
    response = await fetch(`${target.url.replace(/\/$/, "")}${route}`, init);
  } catch (err) {
    throw new ServerError(`cannot reach ${target.url} (is \`shimmy serve\` running?): ${(err as Error).message}`);
  }
  const json = (await response.json().catch(() => null)) as { error?: { message?: string } } | null;
  if (!response.ok) throw new ServerError(json?.error?.message ?? `the server answered ${response.status}`);
  return json as T;
}

type Store = { id: string; name: string | null; status: string; file_counts: { completed: number; in_progress: number; failed: number; total: number }; embedding_model?: string };
type Batch = { id: string; status: string; file_counts: { completed: number; failed: number; cancelled: number; in_progress: number; total: number } };

/** Runs `shimmy vectors`; the exit code (2 for a usage mistake, 1 for a failure). */
export async function vectorsCommand(argv: string[], io: VectorsCliIO = { stdout: process.stdout, stderr: process.stderr, env: process.env }): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv, allowPositionals: true,
      options: {
        json: { type: "boolean" }, url: { type: "string" }, "api-key": { type: "string" }, help: { type: "boolean", short: "h" },
        "embedding-model": { type: "string" }, ranker: { type: "string" }, limit: { type: "string" },
      },
    });
  } catch (err) {
    return mistake(io, (err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help || positionals.length === 0) {
    (values.help ? io.stdout : io.stderr).write(vectorsUsage());
    return values.help ? 0 : 2;
  }
  const target = serverTarget({ ...(values.url ? { url: values.url } : {}), ...(values["api-key"] ? { apiKey: values["api-key"] } : {}) }, io.env);
  const json = values.json === true;
  const [command, ...args] = positionals;
  const print = (value: unknown, text: string) => io.stdout.write(json ? `${JSON.stringify(value)}\n` : text);
  try {
    if (command === "create" && args.length === 1) {
      const store = await call<Store>(target, "POST", "/v1/vector_stores", { name: args[0], ...(values["embedding-model"] ? { embedding_model: values["embedding-model"] } : {}) });
      print(store, `${store.id}\n`);
      return 0;
    }
    if (command === "list" && args.length === 0) {
      const list = await call<{ data: Store[] }>(target, "GET", "/v1/vector_stores?limit=100");
      print(list.data, renderTable(["ID", "NAME", "FILES", "STATUS", "MODEL"], list.data.map((s) => [s.id, s.name ?? "", String(s.file_counts.completed), s.status, s.embedding_model ?? ""])));
      return 0;
    }
    if (command === "add" && args.length >= 2) return await add(io, target, args[0]!, args.slice(1), json);
    if (command === "search" && args.length >= 2) {
      const limit = values.limit === undefined ? 5 : Number(values.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 50) return mistake(io, `--limit must be a whole number from 1 to 50, got "${values.limit}"`);
      const page = await call<{ data: { filename: string; score: number; content: { text: string }[] }[] }>(target, "POST", `/v1/vector_stores/${encodeURIComponent(args[0]!)}/search`, {
        query: args.slice(1).join(" "), max_num_results: limit, ...(values.ranker ? { ranking_options: { ranker: values.ranker } } : {}),
      });
      print(page, page.data.map((d) => `${d.score.toFixed(3)}  ${d.filename}\n    ${d.content.map((c) => c.text).join(" ").replace(/\s+/g, " ").slice(0, 200)}\n`).join("") || "no results\n");
      return 0;
    }
  } catch (err) {
    if (!(err instanceof ServerError)) throw err;
    io.stderr.write(`shimmy vectors: ${err.message}\n`);
    return 1;
  }
  return mistake(io, `expected "create NAME", "list", "add STORE FILE..." or "search STORE TEXT"`);
}

async function add(io: VectorsCliIO, target: ServerTarget, storeId: string, files: string[], json: boolean): Promise<number> {
  const ids: string[] = [];
  for (const file of files) {
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(file);
    } catch (err) {
      io.stderr.write(`shimmy vectors: cannot read ${file}: ${(err as Error).message}\n`);
      return 1;
    }
    const form = new FormData();
    form.append("purpose", "assistants");
    form.append("file", new Blob([bytes]), path.basename(file));
    ids.push((await call<{ id: string }>(target, "POST", "/v1/files", form)).id);
  }
  const route = `/v1/vector_stores/${encodeURIComponent(storeId)}/file_batches`;
  let batch = await call<Batch>(target, "POST", route, { file_ids: ids });
  const progress = createProgress({ label: `ingesting ${files.length} file(s) into ${storeId}`, stream: io.stderr });
  try {
    while (batch.status === "in_progress") {
      const counts = batch.file_counts;
      progress.update((counts.completed + counts.failed + counts.cancelled) / Math.max(1, counts.total));
      await new Promise((resolve) => setTimeout(resolve, 200));
      batch = await call<Batch>(target, "GET", `${route}/${batch.id}`);
    }
    progress.update(1);
  } finally {
    progress.finish();
  }
  const failed = (await call<{ data: { id: string; last_error: { message: string } | null }[] }>(target, "GET", `${route}/${batch.id}/files?filter=failed&limit=100`)).data;
  if (json) io.stdout.write(`${JSON.stringify({ ...batch, file_ids: ids, failed })}\n`);
  else io.stdout.write(`${batch.file_counts.completed} of ${batch.file_counts.total} file(s) added to ${storeId}\n${failed.map((f) => `  failed ${f.id}: ${f.last_error?.message ?? ""}\n`).join("")}`);
  return failed.length > 0 ? 1 : 0;
}

function mistake(io: VectorsCliIO, message: string): number {
  io.stderr.write(`shimmy vectors: ${message}\n\n${vectorsUsage()}`);
  return 2;
}
