/**
 * A sha256 computed on a worker thread, over memory it shares with the download. Hashing costs
 * about as much CPU as receiving and writing the bytes (one core hashes ~1 GB/s), so on the
 * download's thread it would halve a loopback pull's speed, while a curl-like download leaves most
 * of a second core idle. The download reads the connection into a SharedArrayBuffer
 * (`body-writer.ts`) and tells the worker which ranges of it to hash next, in batches of a MiB or
 * more: no byte is copied or moved between the threads, and no buffer is allocated or freed per
 * chunk (moving each 64 KiB socket buffer to the worker cost a message, and the garbage collection
 * of its memory, apiece). The prefix an interrupted pull left on disk is read and hashed on the
 * worker too. The worker is a few lines of inline CommonJS, so it needs no compiled file.
 */
import { Worker } from "node:worker_threads";

// Each message is a list of [start, end) ranges of the shared memory, a file prefix to read, or
// null for the digest; each is acknowledged with the bytes hashed so far, for backpressure.
const WORKER_SOURCE = `
const { parentPort, workerData: memory } = require("node:worker_threads");
const fs = require("node:fs");
const hash = require("node:crypto").createHash("sha256");
let hashed = 0;
function hashFile(file, bytes) {
  const fd = fs.openSync(file, "r");
  try {
    const buffer = Buffer.allocUnsafe(Math.min(bytes, 4 << 20) || 1);
    for (let at = 0; at < bytes; ) {
      const read = fs.readSync(fd, buffer, 0, Math.min(buffer.length, bytes - at), at);
      if (read === 0) throw new Error(file + " ends at " + at + " bytes, not " + bytes);
      hash.update(buffer.subarray(0, read));
      at += read;
      hashed += read;
    }
  } finally {
    fs.closeSync(fd);
  }
}
parentPort.on("message", (message) => {
  if (message === null) return parentPort.postMessage({ digest: hash.digest("hex") });
  if (message.file !== undefined) hashFile(message.file, message.bytes);
  else for (let i = 0; i < message.length; i += 2) {
    hash.update(new Uint8Array(memory, message[i], message[i + 1] - message[i]));
    hashed += message[i + 1] - message[i];
  }
  parentPort.postMessage({ hashed });
});
`;

/**
 * An incremental sha256 on its own thread, fed in order with ranges of `memory` and file prefixes.
 * Call {@link dispose} when done (after {@link digest}, or to give up).
 *
 * @example
 * const memory = new SharedArrayBuffer(1 << 20);
 * const hash = new Sha256Worker(memory);
 * try { hash.updateFromFile(partial, have); hash.update([[0, 4096]]); const hex = await hash.digest(); } finally { await hash.dispose(); }
 */
export class Sha256Worker {
  /** Called each time the worker reports progress ({@link hashed} grew). */
  onProgress: (() => void) | null = null;
  private readonly worker: Worker;
  private postedBytes = 0;
  private hashedBytes = 0;
  private failure: Error | null = null;
  private digested: ((hex: string) => void) | null = null;

  /** @param memory what {@link update}'s ranges are ranges of. */
  constructor(memory: SharedArrayBuffer | null = null) {
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: memory });
    this.worker.on("message", (message: { hashed?: number; digest?: string }) => {
      if (message.digest !== undefined) this.digested?.(message.digest);
      if (message.hashed !== undefined) this.hashedBytes = message.hashed;
      this.onProgress?.();
    });
    this.worker.on("error", (err) => this.fail(err));
    this.worker.on("exit", () => this.fail(new Error("the sha256 worker stopped")));
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.onProgress?.();
  }

  /** Bytes given to hash so far. */
  get posted(): number {
    return this.postedBytes;
  }

  /** Bytes hashed so far: the memory of every range given before them may be reused. */
  get hashed(): number {
    return this.hashedBytes;
  }

  /** The worker's failure, if it failed (every later call throws it). */
  get error(): Error | null {
    return this.failure;
  }

  /** Hashes the `[start, end)` ranges of the shared memory after everything given before. */
  update(ranges: ReadonlyArray<readonly [number, number]>): void {
    if (this.failure) throw this.failure;
    const flat: number[] = [];
    for (const [start, end] of ranges) {
      if (end > start) flat.push(start, end);
      this.postedBytes += end - start;
    }
    if (flat.length > 0) this.worker.postMessage(flat);
  }

  /** Hashes the first `bytes` bytes of `file` (read on the worker) after everything given before. */
  updateFromFile(file: string, bytes: number): void {
    if (this.failure) throw this.failure;
    if (bytes === 0) return;
    this.worker.postMessage({ file, bytes });
    this.postedBytes += bytes;
  }

  /** The hex digest of every byte given; call once. */
  async digest(): Promise<string> {
    if (this.failure) throw this.failure;
    const hex = new Promise<string>((resolve) => (this.digested = resolve));
    this.worker.postMessage(null);
    const stopped = new Promise<never>((_, reject) => {
      const check = () => (this.failure ? reject(this.failure) : undefined);
      this.worker.once("exit", check);
      this.worker.once("error", check);
    });
    return await Promise.race([hex, stopped]);
  }

  /** Stops the worker. */
  async dispose(): Promise<void> {
    this.worker.removeAllListeners("exit");
    this.failure ??= new Error("the sha256 worker was disposed");
    await this.worker.terminate();
  }
}
