/**
 * One HTTP/1.1 GET on a socket of its own, for a download's body. `node:http` copies every body
 * byte out of the socket's buffer into a new Buffer (its parser's body callback) and wraps each
 * chunk in stream events: on a loopback pull that is about a third of the puller's CPU, on a machine
 * where the hub, the hash and the disk share two cores. Here the socket reads straight into the
 * memory the caller names (`net`'s `onread`), as much as that memory holds in one read rather than
 * Node's 64 KiB, and the body is handed on where it was read. It speaks what a file download needs
 * and no more: one request per connection (`Connection: close`), a body framed by `Content-Length`,
 * by `chunked`, or by the end of the connection; redirects and failures are answered with their
 * status and headers alone.
 */
import net from "node:net";
import tls from "node:tls";

/** Options of {@link rawGet}. */
export interface RawGetOptions {
  /** Request headers (`host` and `connection` are set here). Values may not hold CR or LF. */
  headers: Record<string, string>;
  signal?: AbortSignal;
  /** The longest wait for the next bytes, headers or body; then the GET fails with a TimeoutError. */
  idleTimeoutMs: number;
  /** For https: the only certificates (PEM) trusted instead of the system's, as `tls.connect`'s `ca` (a test's own). */
  ca?: string;
}

/** Memory a body is read into: a download's own buffers instead of one allocated per read. */
export interface ReadTarget {
  /**
   * The memory the next read from the connection fills, from its start; called after each read
   * (the one before it is then over). It may pause the response; a TLS socket may still hand on
   * what it has decrypted, so the memory given while paused must be free to take it.
   */
  next(): Uint8Array;
}

/** An answer whose headers are in; its body is read with {@link RawResponse.readBody}. */
export interface RawResponse {
  statusCode: number;
  /** Lower-case names; a repeated header's values joined with `, `. */
  headers: Record<string, string>;
  /**
   * Calls `onChunk` with each piece of the body, in order, and resolves after the last, closing the
   * connection; rejects when the connection fails or ends before the body does. Call once. Without
   * `into`, each piece is (part of) a buffer of its own. With it, the connection is read into the
   * memory `into` hands out and a piece lies where it was read, except the bytes that came with the
   * head, the first read after, and a chunked body's data (after its size lines): `into` finds
   * those elsewhere and copies them. A callback rather than an async iterator: two promises per
   * 64 KiB chunk cost ~0.2 s of CPU a GB on a loaded 2-core machine.
   */
  readBody(onChunk: (chunk: Buffer) => void, into?: ReadTarget): Promise<void>;
  /** Stops reading the connection (backpressure) until {@link resume}. */
  pause(): void;
  resume(): void;
  /** Closes the connection (whatever of the body was not read is dropped). */
  destroy(): void;
}

// A head larger than this is not a file server's answer: refused rather than buffered.
const MAX_HEAD_BYTES = 64 << 10;
// What a read is given when no ReadTarget says otherwise (as much as Node gives a read).
const READ_BYTES = 64 << 10;

function named(message: string, name: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

/** Connects with `onread` (the memory each read fills, and what is done with what it read). */
function connect(url: URL, onread: net.OnReadOpts, ca: string | undefined): net.Socket {
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  if (url.protocol === "https:") {
    return tls.connect({ host, port: Number(url.port || 443), servername: net.isIP(host) ? undefined : host, ALPNProtocols: ["http/1.1"], ca, onread } as tls.ConnectionOptions);
  }
  if (url.protocol !== "http:") throw new Error(`${url.protocol} URLs cannot be downloaded`);
  return net.connect({ host, port: Number(url.port || 80), onread });
}

function requestHead(url: URL, headers: Record<string, string>): string {
  let head = `GET ${url.pathname}${url.search} HTTP/1.1\r\nhost: ${url.host}\r\nconnection: close\r\n`;
  for (const [name, value] of Object.entries(headers)) {
    if (/[\r\n]/.test(name) || /[\r\n]/.test(value)) throw new Error(`the ${name} header holds a line break`);
    head += `${name}: ${value}\r\n`;
  }
  return head + "\r\n";
}

/** Parses one response head (the bytes before the blank line); null for a malformed one. */
function parseHead(text: string): { statusCode: number; headers: Record<string, string> } | null {
  const [statusLine, ...lines] = text.split("\r\n");
  const status = /^HTTP\/1\.[01] (\d{3})(?: |$)/.exec(statusLine ?? "");
  if (!status) return null;
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon <= 0) return null;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  return { statusCode: Number(status[1]), headers };
}

/**
 * Cuts a body out of the bytes that follow the head: framed by `Content-Length` (`length`), by the
 * end of the connection (`length` null), or `chunked` (decoded; the data are slices, not copies).
 */
class BodyFraming {
  private left: number;
  // chunked: bytes of a size line not yet ended; the current chunk's data still to come, -1 while
  // a size line is expected, 0 while the CRLF that ends a chunk's data is.
  private line: Buffer = Buffer.alloc(0);
  private dataLeft = -1;
  private complete = false;

  constructor(
    private readonly chunked: boolean,
    private readonly length: number | null,
    private readonly emit: (chunk: Buffer) => void,
  ) {
    this.left = length ?? Infinity;
    if (!chunked && this.left === 0) this.complete = true;
  }

  /** Takes bytes read from the connection; true once the body is complete (later bytes are ignored). */
  feed(chunk: Buffer): boolean {
    if (this.complete || chunk.length === 0) return this.complete;
    if (this.chunked) return this.feedChunked(chunk);
    const piece = chunk.length > this.left ? chunk.subarray(0, this.left) : chunk;
    this.left -= piece.length;
    this.emit(piece);
    this.complete = this.left === 0;
    return this.complete;
  }

  /** The connection ended: throws unless that completes the body. */
  end(): void {
    if (this.complete || (!this.chunked && this.length === null)) return;
    if (this.chunked) throw new Error("the connection closed in the middle of a chunked body");
    throw new Error(`the connection closed ${this.left} bytes before the end of the body`);
  }

  private feedChunked(chunk: Buffer): boolean {
    let buffer = chunk;
    while (buffer.length > 0) {
      if (this.dataLeft > 0) {
        const piece = buffer.subarray(0, Math.min(this.dataLeft, buffer.length));
        buffer = buffer.subarray(piece.length);
        this.dataLeft -= piece.length;
        this.emit(piece);
        continue;
      }
      const eol = buffer.indexOf("\n");
      if (eol < 0) {
        this.line = Buffer.concat([this.line, buffer]);
        if (this.line.length > MAX_HEAD_BYTES) throw new Error("a chunked body has a size line that does not end");
        return false;
      }
      const line = Buffer.concat([this.line, buffer.subarray(0, eol)]).toString("latin1").replace(/\r$/, "");
      this.line = Buffer.alloc(0);
      buffer = buffer.subarray(eol + 1);
      if (this.dataLeft === 0) {
        if (line !== "") throw new Error("a chunk of a chunked body is longer than its size");
        this.dataLeft = -1;
        continue;
      }
      const size = /^([0-9a-fA-F]{1,12})(?:;.*)?$/.exec(line.trim());
      if (!size) throw new Error(`a chunked body has a malformed size line (${JSON.stringify(line.slice(0, 40))})`);
      this.dataLeft = parseInt(size[1]!, 16);
      // The last chunk: its trailers, if any, are not read (the connection is closed).
      if (this.dataLeft === 0) {
        this.complete = true;
        return true;
      }
    }
    return false;
  }
}

/**
 * Sends `GET url` and resolves once the answer's head is in; rejects when the connection fails, the
 * head is malformed, `options.signal` aborts (an AbortError) or nothing arrives for
 * `options.idleTimeoutMs` (a TimeoutError). The same failures, later, fail {@link RawResponse.readBody}.
 *
 * @example
 * const res = await rawGet(new URL(url), { headers: { range: "bytes=100-" }, idleTimeoutMs: 30_000 });
 * await res.readBody((chunk) => hash.update(chunk));
 */
export async function rawGet(url: URL, options: RawGetOptions): Promise<RawResponse> {
  const head = requestHead(url, options.headers);
  options.signal?.throwIfAborted();
  // Set by readBody: the memory later reads fill. Until then (the head) each read has a buffer of its own.
  let readInto: ReadTarget | null = null;
  let onData: (chunk: Buffer) => void = () => {};
  const socket = connect(url, {
    buffer: () => readInto?.next() ?? Buffer.allocUnsafe(READ_BYTES),
    callback: (bytes, buffer) => {
      onData(Buffer.from(buffer.buffer, buffer.byteOffset, bytes));
      return true;
    },
  }, options.ca);
  const onAbort = () => socket.destroy(named("the operation was aborted", "AbortError"));
  options.signal?.addEventListener("abort", onAbort, { once: true });
  socket.setTimeout(options.idleTimeoutMs, () => {
    socket.destroy(named(`no data from ${url.origin} for ${options.idleTimeoutMs / 1000} s`, "TimeoutError"));
  });
  socket.setNoDelay(true);
  socket.write(head);

  return await new Promise<RawResponse>((resolveHead, rejectHead) => {
    let received: Buffer = Buffer.alloc(0);
    let headDone = false;
    // Set by readBody; until then the body's bytes wait in `early` and the socket is paused.
    let framing: BodyFraming | null = null;
    let early: Buffer = Buffer.alloc(0);
    let reader: { resolve: () => void; reject: (err: Error) => void } | null = null;
    let failure: Error | null = null;
    let done = false;
    // The connection's end came before readBody (it cannot while paused, but is handled anyway).
    let endedEarly = false;

    const finish = (err: Error | null) => {
      if (done) return;
      done = true;
      failure = err;
      socket.destroy();
      if (!headDone) rejectHead(err ?? new Error(`${url.origin} closed the connection before answering`));
      else if (reader && err) reader.reject(err);
      else reader?.resolve();
    };
    const feed = (chunk: Buffer) => {
      try {
        if (framing!.feed(chunk)) finish(null);
      } catch (err) {
        finish(err as Error);
      }
    };
    const endBody = () => {
      try {
        framing!.end();
        finish(null);
      } catch (err) {
        finish(err as Error);
      }
    };
    const readHead = (chunk: Buffer) => {
      received = received.length > 0 ? Buffer.concat([received, chunk]) : chunk;
      for (;;) {
        const end = received.indexOf("\r\n\r\n");
        if (end < 0) {
          if (received.length > MAX_HEAD_BYTES) throw new Error(`${url.origin} sent an HTTP head over ${MAX_HEAD_BYTES} bytes`);
          return;
        }
        const parsed = parseHead(received.subarray(0, end).toString("latin1"));
        if (!parsed) throw new Error(`${url.origin} answered with a malformed HTTP head`);
        received = received.subarray(end + 4);
        // An interim answer (100 Continue): the real one follows.
        if (parsed.statusCode < 200) continue;
        const { statusCode, headers } = parsed;
        const noBody = statusCode === 204 || statusCode === 304;
        const chunked = !noBody && /\bchunked\b/i.test(headers["transfer-encoding"] ?? "");
        const length = noBody ? 0 : headers["content-length"] !== undefined ? Number(headers["content-length"]) : null;
        if (length !== null && !(Number.isSafeInteger(length) && length >= 0)) throw new Error(`${url.origin} sent a malformed Content-Length`);
        // Copied out of the head's buffer, so that every piece of the body owns its memory, as the
        // socket's later chunks do when read without a ReadTarget.
        early = Buffer.from(received);
        received = Buffer.alloc(0);
        headDone = true;
        socket.pause();
        resolveHead({
          statusCode,
          headers,
          readBody: (onChunk, into) => new Promise<void>((resolve, reject) => {
            if (reader) throw new Error("the body is read once");
            reader = { resolve, reject };
            if (done) return failure ? reject(failure) : resolve();
            framing = new BodyFraming(chunked, length, onChunk);
            const first = early;
            early = Buffer.alloc(0);
            feed(first);
            // The next read fills the buffer handed out before this call; the ones after, `into`'s.
            readInto = into ?? null;
            if (!done && endedEarly) endBody();
            else if (!done) socket.resume();
          }),
          pause: () => socket.pause(),
          resume: () => {
            if (!done && framing) socket.resume();
          },
          destroy: () => finish(named("the connection was closed before the end of the body", "AbortError")),
        });
        return;
      }
    };

    onData = (chunk: Buffer) => {
      if (done) return;
      if (framing) return feed(chunk);
      // After the head and before readBody: kept (the socket is paused, this is what was in flight).
      if (headDone) {
        early = early.length > 0 ? Buffer.concat([early, chunk]) : chunk;
        return;
      }
      try {
        readHead(chunk);
      } catch (err) {
        finish(err as Error);
      }
    };
    // The end of the connection comes after its data, and only once readBody has resumed reading.
    socket.once("end", () => {
      if (headDone && !framing) {
        endedEarly = true;
        return;
      }
      if (!framing) return finish(null);
      endBody();
    });
    socket.once("error", (err) => finish(err));
    socket.once("close", () => {
      options.signal?.removeEventListener("abort", onAbort);
      if (endedEarly && !framing) return;
      finish(failure ?? new Error(`the connection to ${url.origin} closed`));
    });
  });
}
