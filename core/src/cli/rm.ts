/**
 * `shimmy rm MODEL`: deletes a model `shimmy pull` downloaded: its snapshot link, its blob when no
 * other snapshot uses it, and the folders left empty in the hub cache. A file Shimmy did not
 * download (`$SHIMMY_HOME/pulled.json` does not list it) is refused unless `--force`. It asks first
 * on a terminal; elsewhere `--yes` is required. A running server (SHIMMY_URL, --url) unloads the
 * model first and rescans afterwards, so the model is gone from its list.
 * Exit codes: 0 removed (or the question answered no), 1 refused or failed, 2 a usage mistake.
 */
import fs from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_SERVER_URL, serverTarget, shimmyHome, type ShimmyEnv } from "../config/environment.js";
import { forgetPulled, pulledRecordPath, readPulled } from "../models/pull/pulled-record.js";
import { hubCacheLocation, removeFromHubCache } from "../models/pull/remove-pulled.js";
import { ApiClient, ApiError, ConnectionError } from "./api-client.js";
import { formatBytes } from "./format.js";
import { findModel, type ModelTarget } from "./model-target.js";
import { ask } from "./plugin-io.js";

/** Where `shimmy rm` reads and writes; `process`'s by default, fakes in tests. */
export interface RmIO {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: ShimmyEnv;
  cwd: string;
}

/** The text of `shimmy rm --help`. */
export function rmUsage(): string {
  return `Usage: shimmy rm MODEL [options]

Deletes a model that shimmy pull downloaded from the Hugging Face hub cache: its file, and the
blob behind it unless another snapshot uses it. Files Shimmy did not download are kept unless
--force. A running server unloads the model first and stops listing it.

MODEL:
  An id as shimmy models list names it (org/repo:Q4_K_M), or the path of its file.

Options:
  -y, --yes               Delete without asking (needed when stdin is not a terminal).
  --force                 Delete even a file Shimmy did not download.
  --json                  Print what was removed as one JSON document.
  --url URL               The server to update. Default: ${DEFAULT_SERVER_URL}. Variable: SHIMMY_URL.
  --api-key KEY           Sent to that server. Variable: SHIMMY_API_KEY.
  -h, --help              Print this help.
`;
}

function processIO(): RmIO {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, cwd: process.cwd() };
}

/** Deletes the files of `target`; hub cache snapshots as the hub's tools do, other files alone. */
async function removeFiles(target: ModelTarget): Promise<{ removed: string[]; freedBytes: number }> {
  const removed: string[] = [];
  let freedBytes = 0;
  for (const part of target.parts) {
    if (hubCacheLocation(part)) {
      const result = await removeFromHubCache(part);
      removed.push(...result.removed);
      freedBytes += result.freedBytes;
    } else {
      const size = (await fs.stat(part)).size;
      await fs.rm(part);
      removed.push(part);
      freedBytes += size;
    }
  }
  return { removed, freedBytes };
}

/** Unloads the model on a running server; false when none answers there. */
async function unloadOnServer(server: ApiClient, target: ModelTarget): Promise<boolean> {
  try {
    const served = (await server.listModels()).models.find((m) => path.resolve(m.path) === target.path || m.id === target.id);
    if (served?.loaded) await server.unloadModel(served.id);
    return true;
  } catch (err) {
    if (err instanceof ConnectionError) return false;
    throw err;
  }
}

/** Runs `shimmy rm ARGV…` and resolves with the exit code. Unexpected failures are thrown. */
export async function rmCommand(argv: string[], io: RmIO = processIO()): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv, allowPositionals: true,
      options: {
        yes: { type: "boolean", short: "y" }, force: { type: "boolean" }, json: { type: "boolean" },
        url: { type: "string" }, "api-key": { type: "string" }, help: { type: "boolean", short: "h" },
      },
    });
  } catch (err) {
    io.stderr.write(`shimmy rm: ${(err as Error).message}; see shimmy rm --help\n`);
    return 2;
  }
  const { values } = parsed;
  if (values.help) {
    io.stdout.write(rmUsage());
    return 0;
  }
  if (parsed.positionals.length !== 1) {
    io.stderr.write("shimmy rm: expects one MODEL, an id or the path of its file; see shimmy rm --help\n");
    return 2;
  }
  if (!values.yes && !io.stdin.isTTY) {
    io.stderr.write("shimmy rm: stdin is not a terminal, so nobody can confirm; pass --yes to delete without asking\n");
    return 2;
  }
  const model = parsed.positionals[0]!;
  const server = new ApiClient(serverTarget({ url: values.url, apiKey: values["api-key"] }, io.env));
  const target = await findModel(model, { env: io.env, cwd: io.cwd, server: null });
  if (!target) {
    io.stderr.write(`shimmy rm: no model "${model}" here; shimmy models list shows the ids, or give the path of its file\n`);
    return 1;
  }
  const recordFile = pulledRecordPath(shimmyHome(io.env, io.cwd));
  const pulled = new Set((await readPulled(recordFile)).map((f) => f.path));
  const foreign = target.parts.filter((part) => !pulled.has(part));
  if (foreign.length > 0 && !values.force) {
    io.stderr.write(`shimmy rm: ${foreign[0]} was not downloaded by shimmy pull, so it is kept; pass --force to delete it anyway\n`);
    return 1;
  }
  const name = target.id ?? target.path;
  if (!values.yes) {
    const sizes = await Promise.all(target.parts.map((part) => fs.stat(part).then((s) => s.size, () => 0)));
    const question = `Delete ${name} (${target.parts.length === 1 ? target.path : `${target.parts.length} files`}, ${formatBytes(sizes.reduce((a, b) => a + b, 0))})? [y/N] `;
    if (!(await ask({ ...io, stderr: io.stderr, env: io.env as NodeJS.ProcessEnv }, question))) {
      io.stderr.write("kept\n");
      return 0;
    }
  }
  let reachable: boolean;
  try {
    reachable = await unloadOnServer(server, target);
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    io.stderr.write(`shimmy rm: ${server.url} could not unload ${name} (${err.message}); nothing was deleted\n`);
    return 1;
  }
  const result = await removeFiles(target);
  await forgetPulled(recordFile, target.parts);
  if (reachable) {
    await server.discoverModels().catch((err: unknown) => {
      io.stderr.write(`shimmy rm: the files are gone, but ${server.url} did not rescan (${(err as Error).message}); run shimmy models discover\n`);
    });
  }
  io.stdout.write(values.json
    ? JSON.stringify({ model: name, removed: result.removed, freed_bytes: result.freedBytes }) + "\n"
    : `Removed ${name}${result.freedBytes > 0 ? `, ${formatBytes(result.freedBytes)} freed` : " (its blob is used by another snapshot, so no space was freed)"}\n`);
  return 0;
}
