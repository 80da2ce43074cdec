/**
 * Downloads one file of the hub into its partial file, resuming from what an interrupted pull left
 * there (HTTP Range), and checks it against the sha256 the hub publishes. The hub's `resolve` answers
 * with a redirect to its CDN: redirects are followed by hand, a bounded number of times, so the
 * token goes to the hub's own origin only, and the commit is read from the hub's `X-Repo-Commit`.
 *
 * Written on a socket of its own (`raw-get.ts`) rather than `node:http` or `fetch`, whose parsers
 * copy every byte of the body. The sha256 is computed on a worker thread, fed with the very buffers
 * read off the socket once they are written (`hash-worker.ts`): no byte is copied in this process.
 */
import fs from "node:fs";
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

/** Hashes the first `bytes` bytes of `file` (what an interrupted pull left), bounded by `bytes`. */
async function hashPrefix(file: string, bytes: number, hash: Sha256Worker): Promise<void> {
  if (bytes === 0) return;
  for await (const chunk of fs.createReadStream(file, { start: 0, end: bytes - 1, highWaterMark: 1 << 20 })) {
    hash.update([chunk as Buffer]);
    await hash.drained();
  }
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

// While one write is on its way to the disk, what arrives meanwhile is kept for the next one; past
// this many bytes waiting, reading pauses until the write is done (memory stays bounded).
const MAX_PENDING_BYTES = 16 << 20;

/**
 * Appends the body of `res` to the partial file (which holds `have` bytes), hashing it as it goes,
 * until the file holds all `options.size` bytes. One write is in flight at a time, carrying every
 * chunk that arrived since the last one (`writev`, no copy), so the network, the hash and the disk
 * work side by side. Every byte received is on disk before an error is reported, so a cut connection
 * loses no progress: a write stream in a pipeline would drop what it still buffered when the
 * response failed.
 */
async function writeBody(res: RawResponse, options: DownloadOptions, have: number, hash: Sha256Worker): Promise<void> {
  let written = have;
  let received = have;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let writing: Promise<void> | null = null;
  let writeFailure: unknown = null;
  const file = await fs.promises.open(options.partialPath, have > 0 ? "a" : "w").catch((err) => {
    throw transferFailure(err, options, written);
  });
  const drain = async () => {
    while (pendingBytes > 0 && writeFailure === null) {
      const data = pending;
      const bytes = pendingBytes;
      pending = [];
      pendingBytes = 0;
      await file.writev(data);
      written += bytes;
      options.onBytes?.(written);
      // Written, so no longer needed here: moved to the hash worker. While it lags, writing waits,
      // and reading waits for writing (MAX_PENDING_BYTES).
      hash.update(data);
      await hash.drained();
    }
  };
  const startWrite = () => {
    writing ??= drain().catch((err: unknown) => { writeFailure = err; }).finally(() => { writing = null; });
  };
  try {
    let failure: unknown = null;
    // Set when this side stops the body (a failed write, too many bytes): the reason to report.
    let halted: unknown = null;
    let paused = false;
    try {
      await res.readBody((chunk) => {
        if (halted !== null) return;
        if (writeFailure !== null) {
          halted = writeFailure;
          return res.destroy();
        }
        received += chunk.length;
        if (received > options.size) {
          halted = new PullError("download_failed", `${options.repo} sent more than the ${options.size} bytes the hub lists`);
          return res.destroy();
        }
        pending.push(chunk);
        pendingBytes += chunk.length;
        startWrite();
        if (pendingBytes >= MAX_PENDING_BYTES && !paused) {
          paused = true;
          res.pause();
          // `writing` never rejects (its failure is kept in writeFailure) and ends once all is written.
          void writing!.then(() => {
            paused = false;
            res.resume();
          });
        }
      });
    } catch (err) {
      failure = halted ?? err;
    }
    // What arrived before a failure is kept too (a failed write is its own failure).
    if (failure instanceof PullError) {
      pending = [];
      pendingBytes = 0;
    }
    await writing;
    if (writeFailure === null && !(failure instanceof PullError)) await drain().catch((err: unknown) => { writeFailure = err; });
    if (writeFailure !== null) throw writeFailure;
    if (failure !== null) throw failure;
    if (written !== options.size) throw new Error("the connection closed early");
  } catch (err) {
    throw transferFailure(err, options, written);
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
  let hash = new Sha256Worker();
  let commit: string | null = null;
  try {
    if (have < options.size) {
      await hashPrefix(options.partialPath, have, hash);
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
        hash = new Sha256Worker();
      }
      if (res.statusCode !== 200 && res.statusCode !== 206) {
        res.destroy();
        throw hubFailure(res.statusCode, header(res, "x-error-code"), options.repo, { endpoint: options.hubOrigin, token: options.token });
      }
      await writeBody(res, options, have, hash);
    } else {
      await hashPrefix(options.partialPath, have, hash);
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
