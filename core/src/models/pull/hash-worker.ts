/**
 * A sha256 computed on a worker thread, fed in order as bytes arrive. Hashing costs about as much
 * CPU as receiving the bytes (one core hashes ~0.4-2 GB/s), so on the download's own thread it
 * halves a loopback pull's speed; here the network and the disk go on while another core hashes.
 * The worker is a few lines of inline CommonJS, so it needs no compiled file.
 */
import { Worker } from "node:worker_threads";

// The worker acknowledges every message with the bytes it has hashed, for backpressure.
const WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
const hash = require("node:crypto").createHash("sha256");
let hashed = 0;
parentPort.on("message", (chunk) => {
  if (chunk === null) return parentPort.postMessage({ digest: hash.digest("hex") });
  hash.update(chunk);
  hashed += chunk.byteLength;
  parentPort.postMessage({ hashed });
});
`;

// At most this many bytes wait for the worker; past it {@link Sha256Worker.drained} waits.
const MAX_QUEUED_BYTES = 32 << 20;

// Chunks are gathered into one message of about this size: one copy, then the buffer is moved (not
// copied) to the worker, and a few hundred messages for a large file rather than one per 64 KiB.
const BATCH_BYTES = 1 << 20;

/**
 * An incremental sha256 on its own thread. Call {@link dispose} when done (after {@link digest},
 * or to give up).
 *
 * @example
 * const hash = new Sha256Worker();
 * try { hash.update(chunk); await hash.drained(); const hex = await hash.digest(); } finally { await hash.dispose(); }
 */
export class Sha256Worker {
  private readonly worker: Worker;
  private posted = 0;
  private hashed = 0;
  private failure: Error | null = null;
  private wake: (() => void) | null = null;
  private digested: ((hex: string) => void) | null = null;
  private batch: Uint8Array[] = [];
  private batchBytes = 0;

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

  /** Hashes `chunk` after everything given before. The bytes are copied: `chunk` stays the caller's. */
  update(chunk: Uint8Array): void {
    if (this.failure) throw this.failure;
    this.batch.push(chunk);
    this.batchBytes += chunk.byteLength;
    if (this.batchBytes >= BATCH_BYTES) this.flush();
  }

  private flush(): void {
    if (this.batchBytes === 0) return;
    // A buffer this large is never a slice of Node's shared pool, so its memory can be transferred.
    const data = Buffer.concat(this.batch, this.batchBytes);
    this.batch = [];
    this.batchBytes = 0;
    const whole = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
    this.worker.postMessage(data, whole ? [data.buffer as ArrayBuffer] : []);
    this.posted += data.byteLength;
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
    this.flush();
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
