/**
 * Where a download's body goes: a ring of shared memory that the connection is read into
 * (`raw-get.ts`'s {@link ReadTarget}), written from to the file and hashed from on the sha256 worker,
 * side by side, with no copy in between and no allocation per read. A read is given all the free
 * memory ahead of it (not Node's 64 KiB), so a fast connection is read in a few large reads; what
 * arrives while a write is on its way goes out in the next one, and the hash is fed in batches of
 * {@link HASH_BATCH_BYTES}. Memory is reused once it is both written and hashed; while the ring is
 * full, reading pauses (the connection's own flow control then slows the sender), so the receive
 * loop waits only when the disk or the hash is a whole ring behind. A read is never given memory
 * still in use: while there is none, it gets a scratch buffer, and what lands there (TLS hands on
 * the rest of the records it has decrypted after a pause) is copied in as memory frees.
 */
import type { FileHandle } from "node:fs/promises";
import type { Sha256Worker } from "./hash-worker.js";
import type { ReadTarget } from "./raw-get.js";

/** The shared memory a download reads into. @default 32 MiB */
export const RING_BYTES = 32 << 20;
// The hash is fed at least this much at a time (fewer messages), or whatever there is once the
// worker has nothing left to do.
const HASH_BATCH_BYTES = 1 << 20;
// A read is given at least this much memory (less only at the end of the ring): below it, reading
// pauses until memory is free.
const MIN_READ_BYTES = 64 << 10;
// Writes smaller than this wait a little for more bytes (a slow connection's many small reads).
const MIN_WRITE_BYTES = 256 << 10;
const SMALL_WRITE_DELAY_MS = 10;

/** Options of {@link BodyWriter}. */
export interface BodyWriterOptions {
  /** The ring; the hash worker shares it. */
  memory: SharedArrayBuffer;
  /** Opened for writing at the point the body continues; written in order. */
  file: FileHandle;
  hash: Sha256Worker;
  /** Stops and restarts reading the connection. */
  pause: () => void;
  resume: () => void;
  /** Called after each write with the bytes of the body written so far. */
  onWritten?: (bytes: number) => void;
}

/**
 * Takes the pieces of one body, in order, into its ring, and writes and hashes them. Positions
 * below count bytes of the body since it started (the ring's offset is the position modulo its size).
 */
export class BodyWriter implements ReadTarget {
  private readonly memory: Uint8Array;
  private readonly size: number;
  private readonly options: BodyWriterOptions;
  /** `hash.posted` when this body began: the hash's counts include an earlier prefix. */
  private readonly hashBase: number;
  private received = 0;
  private writeQueued = 0;
  private written = 0;
  private hashPosted = 0;
  private writing: Promise<void> | null = null;
  private writeTimer: NodeJS.Timeout | null = null;
  private writeFailure: unknown = null;
  private paused = false;
  /** Pieces that found no free memory, in order (copies): they go before any later piece. */
  private readonly overflow: Uint8Array[] = [];
  private readonly scratch = Buffer.allocUnsafe(MIN_READ_BYTES);
  /** Wakes {@link finish} while it waits for memory to take the overflow. */
  private wake: (() => void) | null = null;

  constructor(options: BodyWriterOptions) {
    this.options = options;
    this.memory = new Uint8Array(options.memory);
    this.size = this.memory.length;
    this.hashBase = options.hash.posted;
    options.hash.onProgress = () => this.progress();
  }

  /** The first write failure, if any: the download reports it and stops. */
  get failure(): unknown {
    return this.writeFailure;
  }

  /** Bytes of the body in the file so far. */
  get bytesWritten(): number {
    return this.written;
  }

  /** Position below which memory is free again: written and hashed. */
  private get tail(): number {
    return Math.min(this.written, this.options.hash.hashed - this.hashBase);
  }

  /** Free memory at the ring offset of `received`, up to the end of the ring. */
  private freeAhead(): number {
    const offset = this.received % this.size;
    return Math.min(this.size - offset, this.tail + this.size - this.received);
  }

  /** @inheritdoc Free memory; while less than a read's worth is, reading pauses and this is a scratch buffer. */
  next(): Uint8Array {
    const offset = this.received % this.size;
    const free = this.freeAhead();
    if (this.overflow.length === 0 && free >= Math.min(MIN_READ_BYTES, this.size - offset)) return this.memory.subarray(offset, offset + free);
    if (!this.paused) {
      this.paused = true;
      this.options.pause();
      // Everything received must be on its way to be freed.
      this.postHash();
      this.startWrite(true);
    }
    return this.scratch;
  }

  /**
   * Takes the next piece of the body: where {@link next} asked it read, it is kept where it is;
   * anywhere else (the bytes that came with the head, a chunked body's data after its size line, a
   * scratch buffer) it is copied there, or kept aside until there is room.
   */
  accept(chunk: Uint8Array): void {
    if (this.writeFailure !== null) return;
    if (this.options.hash.error) throw this.options.hash.error;
    const inPlace = chunk.buffer === this.memory.buffer && chunk.byteOffset === this.received % this.size;
    if (this.overflow.length > 0 || (!inPlace && !this.copyIn(chunk))) {
      this.overflow.push(Uint8Array.prototype.slice.call(chunk));
      return;
    }
    if (inPlace) this.received += chunk.length;
    const unhashed = this.received - this.hashPosted;
    const hashIdle = this.options.hash.hashed === this.options.hash.posted;
    if (unhashed >= HASH_BATCH_BYTES || (hashIdle && unhashed >= MIN_WRITE_BYTES)) this.postHash();
    this.startWrite(false);
  }

  /** Copies `chunk` to the next free memory (wrapping around the ring's end); false if there is too little. */
  private copyIn(chunk: Uint8Array): boolean {
    if (chunk.length > this.tail + this.size - this.received) return false;
    const offset = this.received % this.size;
    const first = Math.min(chunk.length, this.size - offset);
    // set() copies as if through a temporary when the two overlap (a chunked body's data).
    this.memory.set(first === chunk.length ? chunk : chunk.subarray(0, first), offset);
    if (first < chunk.length) this.memory.set(chunk.subarray(first), 0);
    this.received += chunk.length;
    return true;
  }

  /** Moves what the overflow holds into memory, as far as there is room; true once it is empty. */
  private takeOverflow(): boolean {
    while (this.overflow.length > 0 && this.copyIn(this.overflow[0]!)) this.overflow.shift();
    return this.overflow.length === 0;
  }

  /**
   * Writes and hashes every byte taken (`keep`), or drops those not yet written (the body is
   * refused), and resolves once no write is on its way; throws the first write failure.
   */
  async finish(keep: boolean): Promise<void> {
    this.paused = false;
    if (!keep) {
      this.received = this.writeQueued;
      this.overflow.length = 0;
    }
    while (!this.takeOverflow() && this.writeFailure === null) {
      this.postHash();
      this.startWrite(true);
      if (this.options.hash.error) throw this.options.hash.error;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = null;
    }
    if (keep) this.postHash();
    this.startWrite(true);
    while (this.writing) await this.writing;
    if (this.writeTimer) clearTimeout(this.writeTimer);
    this.writeTimer = null;
    if (this.writeFailure !== null) throw this.writeFailure;
  }

  /** Gives the hash what was received and not yet given. */
  private postHash(): void {
    if (this.received === this.hashPosted) return;
    this.options.hash.update(this.ranges(this.hashPosted, this.received));
    this.hashPosted = this.received;
  }

  /** The ring's [start, end) ranges of body positions [from, to): two where they wrap around. */
  private ranges(from: number, to: number): Array<[number, number]> {
    const start = from % this.size;
    const end = start + (to - from);
    return end <= this.size ? [[start, end]] : [[start, this.size], [0, end - this.size]];
  }

  /** Starts a write of what is waiting, unless one is on its way or too little waits (`now` aside). */
  private startWrite(now: boolean): void {
    if (this.writing || this.writeFailure !== null || this.received === this.writeQueued) return;
    if (!now && this.received - this.writeQueued < MIN_WRITE_BYTES) {
      this.writeTimer ??= setTimeout(() => {
        this.writeTimer = null;
        this.startWrite(true);
      }, SMALL_WRITE_DELAY_MS);
      return;
    }
    if (this.writeTimer) clearTimeout(this.writeTimer);
    this.writeTimer = null;
    this.writing = this.writeLoop().finally(() => (this.writing = null));
  }

  /** Writes what is waiting, then what arrived meanwhile, until nothing is left or a write fails. */
  private async writeLoop(): Promise<void> {
    try {
      while (this.writeQueued < this.received) {
        const from = this.writeQueued;
        const to = this.received;
        this.writeQueued = to;
        const views = this.ranges(from, to).map(([start, end]) => this.memory.subarray(start, end));
        let done = 0;
        // writev may write less than asked (a full disk fails the next call instead).
        while (done < to - from) {
          const { bytesWritten } = await this.options.file.writev(skip(views, done));
          done += bytesWritten;
        }
        this.written = to;
        this.options.onWritten?.(to);
        this.progress();
      }
    } catch (err) {
      this.writeFailure = err;
      this.progress();
    }
  }

  /** Memory was freed (or a failure happened): takes the overflow in, and resumes reading once a read's worth is free. */
  private progress(): void {
    this.wake?.();
    if (!this.paused) return;
    const failed = this.writeFailure !== null || this.options.hash.error !== null;
    const offset = this.received % this.size;
    if (!failed && !(this.takeOverflow() && this.freeAhead() >= Math.min(MIN_READ_BYTES, this.size - offset))) {
      // The hash may have just emptied its queue: give it what it has not had yet.
      this.postHash();
      this.startWrite(true);
      return;
    }
    this.paused = false;
    this.options.resume();
  }
}

/** `views` without their first `bytes` bytes. */
function skip(views: Uint8Array[], bytes: number): Uint8Array[] {
  const rest: Uint8Array[] = [];
  for (const view of views) {
    if (bytes >= view.length) bytes -= view.length;
    else {
      rest.push(bytes > 0 ? view.subarray(bytes) : view);
      bytes = 0;
    }
  }
  return rest;
}
