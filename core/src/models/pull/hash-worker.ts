/**
 * A sha256 computed on a worker thread, fed in order with buffers that are moved to it, not copied.
 * Hashing costs about as much CPU as receiving and writing the bytes (one core hashes ~0.7-1.5 GB/s),
 * so on the download's thread it halves a loopback pull's speed, while a curl-like download leaves
 * most of a second core idle. The buffers a download reads off its socket each own their memory:
 * once written to the file they are handed over (transferred) with one message per write, so the
 * worker costs a few hundred messages for a large file and no copy. The worker is a few lines of
 * inline CommonJS, so it needs no compiled file.
 */
import { Worker } from "node:worker_threads";

// The worker acknowledges every message with the bytes it has hashed, for backpressure.
const WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
const hash = require("node:crypto").createHash("sha256");
let hashed = 0;
parentPort.on("message", (chunks) => {
  if (chunks === null) return parentPort.postMessage({ digest: hash.digest("hex") });
  for (const chunk of chunks) {
    hash.update(chunk);
    hashed += chunk.byteLength;
  }
  parentPort.postMessage({ hashed });
});
`;

// At most this many bytes wait for the worker; past it {@link Sha256Worker.drained} waits.
const MAX_QUEUED_BYTES = 32 << 20;

/**
 * An incremental sha256 on its own thread. Call {@link dispose} when done (after {@link digest},
 * or to give up).
 *
 * @example
 * const hash = new Sha256Worker();
 * try { hash.update([chunk]); await hash.drained(); const hex = await hash.digest(); } finally { await hash.dispose(); }
 */
export class Sha256Worker {
  private readonly worker: Worker;
  private posted = 0;
  private hashed = 0;
  private failure: Error | null = null;
  private wake: (() => void) | null = null;
  private digested: ((hex: string) => void) | null = null;

  constructor() {
    this.worker = new Worker(WORKER_SOURCE, { eval: true });
    this.worker.on("message", (message: { hashed?: number; digest?: string }) => {
      if (message.digest !== undefined) this.digested?.(message.digest);
      if (message.hashed !== undefined) this.hashed = message.hashed;
      this.wake?.();
    });
    this.worker.on("error", (err) => this.fail(err));
    this.worker.on("exit", () => this.fail(new Error("the sha256 worker stopped")));
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.wake?.();
  }

  /**
   * Hashes `chunks` after everything given before. A chunk that is the whole of its memory is moved
   * to the worker: it is empty here afterwards, so give only buffers no one reads again. Others
   * (slices of a larger buffer, such as Node's shared pool) are copied.
   */
  update(chunks: readonly Uint8Array[]): void {
    if (this.failure) throw this.failure;
    if (chunks.length === 0) return;
    const moved: ArrayBuffer[] = [];
    let bytes = 0;
    for (const chunk of chunks) {
      bytes += chunk.byteLength;
      const whole = chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength && chunk.buffer instanceof ArrayBuffer;
      if (whole && !moved.includes(chunk.buffer)) moved.push(chunk.buffer);
    }
    this.worker.postMessage(chunks, moved);
    this.posted += bytes;
  }

  /** Resolves once at most {@link MAX_QUEUED_BYTES} bytes wait to be hashed. */
  async drained(limit = MAX_QUEUED_BYTES): Promise<void> {
    while (this.posted - this.hashed > limit) {
      if (this.failure) throw this.failure;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = null;
    }
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
