/**
 * Downloads one file of the hub into its partial file, resuming from what an interrupted pull left
 * there (HTTP Range), and checks it against the sha256 the hub publishes. The hub's `resolve` answers
 * with a redirect to its CDN: redirects are followed by hand, a bounded number of times, so the
 * token goes to the hub's own origin only, and the commit is read from the hub's `X-Repo-Commit`.
 *
 * Written on a socket of its own (`raw-get.ts`) rather than `node:http` or `fetch`, whose parsers
 * copy every byte of the body. The socket reads into shared memory that the file is written from and
 * a worker thread hashes from (`body-writer.ts`, `hash-worker.ts`): no byte is copied in this process.
 */
import fs from "node:fs";
import { BodyWriter, RING_BYTES } from "./body-writer.js";
import { Sha256Worker } from "./hash-worker.js";
import { hubFailure } from "./hub-api.js";
import { PullError } from "./pull-error.js";
import { rawGet, type RawResponse } from "./raw-get.js";

/** Options of {@link downloadFile}. */
export interface DownloadOptions {
  /** `ENDPOINT/ORG/REPO/resolve/main/FILE`. */
  url: string;
  /** The hub's origin: the only one `token` is sent to. */
  hubOrigin: string;
  token: string | null;
  /** For messages: `ORG/REPO`. */
  repo: string;
  /** Written here, appended to when it already holds the start of the file. */
  partialPath: string;
  size: number;
  sha256: string;
  /** Called as bytes arrive with the bytes of the file now in `partialPath`. */
  onBytes?: (bytes: number) => void;
  signal?: AbortSignal;
  /** The longest wait for the next bytes (headers or body) before giving up. @default 30000 */
  idleTimeoutMs?: number;
  /** Redirects followed. @default 5 */
  maxRedirects?: number;
  /** From {@link prepareDownload}, called earlier; taken over (and disposed). @default a new one */
  prepared?: PreparedDownload;
}

/** The memory a download reads into and the hash worker that shares it. */
export interface PreparedDownload {
  memory: SharedArrayBuffer;
  hash: Sha256Worker;
}

/**
 * Allocates a download's memory and starts its hash worker. Called before the hub's API requests,
 * so that the worker boots (tens of ms of a thread starting Node) while they are answered, not
 * while the first bytes of the file wait for it. Dispose `hash` unless a download took it.
 */
export function prepareDownload(): PreparedDownload {
  // Only touched memory is materialized: a small file uses little of it.
  const memory = new SharedArrayBuffer(RING_BYTES);
  return { memory, hash: new Sha256Worker(memory) };
}

/** What a download learnt besides the bytes. */
export interface DownloadResult {
  /** `X-Repo-Commit` of the hub's answer: the commit the file came from; null if not sent. */
  commit: string | null;
  /** The bytes that were already there from an earlier, interrupted pull. */
  resumedFrom: number;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

function header(res: RawResponse, name: string): string | null {
  return res.headers[name] ?? null;
}

/** The final response after following redirects, and the hub's commit header seen on the way. */
async function open(options: DownloadOptions, range: number): Promise<{ res: RawResponse; commit: string | null }> {
  let url = new URL(options.url);
  let commit: string | null = null;
  for (let hop = 0; hop <= (options.maxRedirects ?? 5); hop++) {
    const headers: Record<string, string> = { "accept-encoding": "identity" };
    if (range > 0) headers.range = `bytes=${range}-`;
    if (options.token && url.origin === options.hubOrigin) headers.authorization = `Bearer ${options.token}`;
    const res = await rawGet(url, { headers, signal: options.signal, idleTimeoutMs: options.idleTimeoutMs ?? 30_000 });
    commit ??= header(res, "x-repo-commit");
    const linked = header(res, "x-linked-etag")?.replace(/^W\//, "").replaceAll('"', "");
    if (linked && /^[0-9a-f]{64}$/.test(linked) && linked !== options.sha256) {
      res.destroy();
      throw new PullError("checksum_mismatch", `${options.repo} changed on the hub during the pull (the file is now ${linked}); run the pull again`);
    }
    const location = header(res, "location");
    if (!REDIRECTS.has(res.statusCode) || !location) return { res, commit };
    res.destroy();
    url = new URL(location, url);
  }
  throw new PullError("download_failed", `${options.url} redirected more than ${options.maxRedirects ?? 5} times`);
}

/** Bytes already in the partial file, or 0 when there is none or it is longer than the file. */
async function partialBytes(file: string, size: number): Promise<number> {
  const stat = await fs.promises.stat(file).catch(() => null);
  if (!stat || !stat.isFile()) return 0;
  return stat.size <= size ? stat.size : 0;
}

/** Turns a failure of the transfer into a {@link PullError} that says whether to run again. */
function transferFailure(err: unknown, options: DownloadOptions, written: number): PullError {
  if (err instanceof PullError) return err;
  const { code, name } = err as NodeJS.ErrnoException;
  if (code === "ENOSPC" || code === "EDQUOT") {
    return new PullError("disk_full", `the disk is full after ${written} of ${options.size} bytes of ${options.repo}; free some space and run the pull again to resume (the partial file is ${options.partialPath})`, { cause: err });
  }
  if (name === "AbortError") return new PullError("download_failed", "the pull was cancelled; run it again to resume", { cause: err });
  if (name === "TimeoutError") return new PullError("timeout", `${(err as Error).message}; run the pull again to resume`, { cause: err });
  return new PullError("download_failed", `the download of ${options.repo} stopped after ${written} of ${options.size} bytes (${(err as Error).message}); run the pull again to resume`, { cause: err });
}

/**
 * Appends the body of `res` to the partial file (which holds `have` bytes), hashing it as it goes,
 * until the file holds all `options.size` bytes (`body-writer.ts`: the network, the hash and the disk
 * work side by side). Every byte received is on disk before an error is reported, so a cut connection
 * loses no progress: a write stream in a pipeline would drop what it still buffered when the
 * response failed.
 */
async function writeBody(res: RawResponse, options: DownloadOptions, have: number, hash: Sha256Worker, memory: SharedArrayBuffer): Promise<void> {
  const file = await fs.promises.open(options.partialPath, have > 0 ? "a" : "w").catch((err) => {
    throw transferFailure(err, options, have);
  });
  const writer = new BodyWriter({
    memory, file, hash,
    pause: () => res.pause(),
    resume: () => res.resume(),
    onWritten: (bytes) => options.onBytes?.(have + bytes),
  });
  try {
    let failure: unknown = null;
    // Set when this side stops the body (a failed write, too many bytes): the reason to report.
    let halted: unknown = null;
    let received = have;
    try {
      await res.readBody((chunk) => {
        if (halted !== null) return;
        if (writer.failure !== null) {
          halted = writer.failure;
          return res.destroy();
        }
        received += chunk.length;
        if (received > options.size) {
          halted = new PullError("download_failed", `${options.repo} sent more than the ${options.size} bytes the hub lists`);
          return res.destroy();
        }
        writer.accept(chunk);
      }, writer);
    } catch (err) {
      failure = halted ?? err;
    }
    // What arrived before a failure is kept too, unless this side refused the body.
    await writer.finish(!(failure instanceof PullError));
    if (failure !== null) throw failure;
    if (have + writer.bytesWritten !== options.size) throw new Error("the connection closed early");
  } catch (err) {
    throw transferFailure(err, options, have + writer.bytesWritten);
  } finally {
    res.destroy();
    await file.close();
  }
}

/**
 * Downloads `options.url` into `options.partialPath` and verifies it; on a checksum mismatch the
 * partial file is removed. An interrupted download keeps its partial file for the next run.
 *
 * @throws PullError
 */
export async function downloadFile(options: DownloadOptions): Promise<DownloadResult> {
  let have = await partialBytes(options.partialPath, options.size);
  const resumedFrom = have;
  const { memory, hash: firstHash } = options.prepared ?? prepareDownload();
  let hash = firstHash;
  let commit: string | null = null;
  try {
    hash.updateFromFile(options.partialPath, have);
    if (have < options.size) {
      let { res, commit: seen } = await open(options, have).catch((err) => { throw transferFailure(err, options, have); });
      commit = seen;
      const contentRange = /^bytes (\d+)-/.exec(header(res, "content-range") ?? "");
      // A server that ignores Range sends the whole file (200): start again from its first byte.
      if (have > 0 && !(res.statusCode === 206 && Number(contentRange?.[1]) === have)) {
        if (res.statusCode === 416 || res.statusCode === 206) {
          res.destroy();
          ({ res, commit: seen } = await open(options, 0).catch((err) => { throw transferFailure(err, options, 0); }));
        }
        have = 0;
        await hash.dispose();
        hash = new Sha256Worker(memory);
      }
      if (res.statusCode !== 200 && res.statusCode !== 206) {
        res.destroy();
        throw hubFailure(res.statusCode, header(res, "x-error-code"), options.repo, { endpoint: options.hubOrigin, token: options.token });
      }
      await writeBody(res, options, have, hash, memory);
    }
    const actual = await hash.digest();
    if (actual !== options.sha256) {
      await fs.promises.rm(options.partialPath, { force: true });
      throw new PullError("checksum_mismatch", `${options.repo}: the downloaded file's sha256 is ${actual}, not the ${options.sha256} the hub lists; it was removed`);
    }
  } finally {
    await hash.dispose();
  }
  return { commit, resumedFrom };
}
