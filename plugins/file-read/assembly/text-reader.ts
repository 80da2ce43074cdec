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
import {
  decodeBase64,
  decodeUtf8,
  hostError,
  hostErrorCode,
  incompleteUtf8Tail,
  readFile,
  truncateChars,
} from "@shimmy/plugin-sdk/assembly";

/** Bytes asked for per read: well under the host's default 1 MiB cap on one read. */
export const CHUNK_BYTES: i64 = 262144;

/** A longer line is cut to this many UTF-16 units (and the reader's `lineCut` set). */
export const MAX_LINE_CHARS: i32 = 65536;

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
    return truncateChars(line, MAX_LINE_CHARS);
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
    const plain = reply.getString("text");
    if (plain !== null) {
      text = plain;
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
      const keep = this.done ? n : n - incompleteUtf8Tail(bytes);
      const decoded = decodeUtf8(bytes.subarray(0, keep));
      if (decoded === null) {
        this.notText = true;
        return null;
      }
      text = decoded;
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
