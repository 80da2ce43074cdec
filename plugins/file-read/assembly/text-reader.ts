/**
 * Reads a text file line by line through `shimmy_fs_read`, in chunks, so a file of any size is
 * read within the host's per-read byte cap and the plugin's memory.
 *
 * The host answers a chunk as `{text}` when its bytes are valid UTF-8 and `{base64}` otherwise. A
 * chunk boundary can split a multi-byte character, which turns a text chunk into base64: the
 * reader then decodes it, drops the incomplete character at the end (read again with the next
 * chunk) and checks the rest itself. Bytes that are not UTF-8 anywhere else, or a NUL byte, mean
 * the file is not text.
 */
import { hostError, JsonValue, readFile } from "@shimmy/plugin-sdk/assembly";

/** Bytes asked for per read: well under the host's default 1 MiB cap on one read. */
export const CHUNK_BYTES: i64 = 262144;

/** A longer line is cut to this many UTF-16 units (and the reader's `lineCut` set). */
export const MAX_LINE_CHARS: i32 = 65536;

/** The `code` of a host reply `{"error": {"code": …}}`, or "" (the SDK's `hostError` gives only the message). */
export function hostErrorCode(reply: JsonValue): string {
  const error = reply.get("error");
  if (error === null || !error.isObject()) return "";
  const code = error.getString("code");
  return code !== null ? code : "";
}

function base64Value(c: i32): i32 {
  if (c >= 0x41 && c <= 0x5a) return c - 0x41;
  if (c >= 0x61 && c <= 0x7a) return c - 0x61 + 26;
  if (c >= 0x30 && c <= 0x39) return c - 0x30 + 52;
  if (c == 0x2b) return 62;
  if (c == 0x2f) return 63;
  return -1;
}

/** Decodes padded standard base64 (as Node's `toString("base64")` writes it), or null when malformed. */
export function decodeBase64(s: string): Uint8Array | null {
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) == 0x3d) end--;
  if (s.length % 4 != 0 || s.length - end > 2) return null;
  const out = new Uint8Array((end * 3) >> 2);
  let acc: u32 = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < end; i++) {
    const v = base64Value(s.charCodeAt(i));
    if (v < 0) return null;
    acc = (acc << 6) | <u32>v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = <u8>((acc >> bits) & 0xff);
    }
  }
  return out;
}

/** Bytes a UTF-8 sequence starting with `lead` takes, or 0 when `lead` cannot start one. */
function sequenceLength(lead: u8): i32 {
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 0;
}

/** How many bytes at the end of `bytes[0..len)` are the start of a character the next chunk ends. */
export function incompleteTail(bytes: Uint8Array, len: i32): i32 {
  for (let back = 1; back <= 3 && back <= len; back++) {
    const b = bytes[len - back];
    if ((b & 0xc0) != 0x80) {
      const need = sequenceLength(b);
      return need > back ? back : 0;
    }
  }
  return 0;
}

/** Whether `bytes[0..len)` is valid UTF-8: no overlong forms, no surrogates, nothing past U+10FFFF. */
export function isValidUtf8(bytes: Uint8Array, len: i32): bool {
  let i = 0;
  while (i < len) {
    const b = bytes[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    const need = sequenceLength(b);
    if (need == 0 || i + need > len) return false;
    const b1 = bytes[i + 1];
    // The second byte's range rules out overlongs (E0, F0), surrogates (ED) and > U+10FFFF (F4).
    let lo: u8 = 0x80;
    let hi: u8 = 0xbf;
    if (b == 0xe0) lo = 0xa0;
    else if (b == 0xed) hi = 0x9f;
    else if (b == 0xf0) lo = 0x90;
    else if (b == 0xf4) hi = 0x8f;
    if (b1 < lo || b1 > hi) return false;
    for (let k = 2; k < need; k++) {
      if ((bytes[i + k] & 0xc0) != 0x80) return false;
    }
    i += need;
  }
  return true;
}

/** A file's lines, read on demand; see the module comment. */
export class LineReader {
  /** The path as the host takes it (absolute or ~-relative). */
  path: string;
  /** Reading stops after this many bytes (`stopped` is then set). */
  maxBytes: i64;
  /** Bytes read so far. */
  offset: i64 = 0;
  /** The host's message for a failed read, and its code; null when no read failed. */
  error: string | null = null;
  errorCode: string = "";
  /** Set when the file holds bytes that are not UTF-8, or a NUL byte. */
  notText: bool = false;
  /** Set once the whole file was read. */
  done: bool = false;
  /** Set when reading stopped at `maxBytes` before the end of the file. */
  stopped: bool = false;
  /** Set when a line longer than {@link MAX_LINE_CHARS} was cut. */
  lineCut: bool = false;

  private lines: Array<string> = new Array<string>();
  private next: i32 = 0;
  private partial: string = "";

  constructor(path: string, maxBytes: i64) {
    this.path = path;
    this.maxBytes = maxBytes;
  }

  /**
   * The next line without its `\n` or `\r\n`, or null at the end of the file, after an error, on
   * bytes that are not text, or when `maxBytes` is reached. A final line without a newline counts;
   * a file ending in a newline has no empty line after it.
   */
  nextLine(): string | null {
    while (this.next >= this.lines.length) {
      if (this.done || this.stopped || this.notText || this.error !== null) return null;
      this.fill();
    }
    return this.lines[this.next++];
  }

  private fill(): void {
    this.lines = new Array<string>();
    this.next = 0;
    if (this.offset >= this.maxBytes) {
      this.stopped = true;
      return;
    }
    const chunk = this.readChunk();
    if (chunk === null) return;
    const pieces = (this.partial + chunk).split("\n");
    // Until the end of the file, the last piece is a line still being read.
    const complete = this.done ? pieces.length : pieces.length - 1;
    for (let i = 0; i < complete; i++) {
      if (this.done && i == pieces.length - 1 && pieces[i].length == 0) break;
      this.lines.push(this.trimLine(pieces[i]));
    }
    // A line that never ends keeps only its first MAX_LINE_CHARS in memory.
    this.partial = this.done ? "" : this.cut(pieces[pieces.length - 1]);
  }

  private trimLine(line: string): string {
    const n = line.length;
    const trimmed = n > 0 && line.charCodeAt(n - 1) == 0x0d ? line.substring(0, n - 1) : line;
    return this.cut(trimmed);
  }

  private cut(line: string): string {
    if (line.length <= MAX_LINE_CHARS) return line;
    this.lineCut = true;
    let end = MAX_LINE_CHARS;
    const c = line.charCodeAt(end - 1);
    if (c >= 0xd800 && c <= 0xdbff) end--; // keep surrogate pairs whole
    return line.substring(0, end);
  }

  /** The next chunk as text, or null (and `error` or `notText` set). */
  private readChunk(): string | null {
    const first = this.offset == 0;
    const want = min(CHUNK_BYTES, this.maxBytes - this.offset);
    const reply = readFile(this.path, this.offset, want);
    const message = hostError(reply);
    if (message !== null) {
      this.error = message;
      this.errorCode = hostErrorCode(reply);
      return null;
    }
    let text: string;
    const plain = reply.get("text");
    if (plain !== null && plain.isString()) {
      text = plain.str;
      const n = <i64>String.UTF8.byteLength(text);
      this.offset += n;
      if (n < want) this.done = true;
    } else {
      const encoded = reply.getString("base64");
      const bytes = encoded !== null ? decodeBase64(encoded) : null;
      if (bytes === null) {
        this.error = "the host answered a read with neither text nor base64";
        return null;
      }
      const n = bytes.length;
      if (<i64>n < want) this.done = true;
      const keep = this.done ? n : n - incompleteTail(bytes, n);
      if (!isValidUtf8(bytes, keep)) {
        this.notText = true;
        return null;
      }
      text = String.UTF8.decodeUnsafe(bytes.dataStart, <usize>keep);
      this.offset += <i64>keep;
    }
    if (text.indexOf("\0") >= 0) {
      this.notText = true;
      return null;
    }
    // A byte order mark is not part of the first line.
    if (first && text.length > 0 && text.charCodeAt(0) == 0xfeff) text = text.substring(1);
    return text;
  }
}
