/**
 * Reads an OpenAI-shaped embeddings answer (`{"data": [{"index", "embedding": [numbers]}], "usage":
 * {"prompt_tokens"}}`) without building a `JsonValue` tree: each vector is kept as the text of its
 * numbers, exactly as the endpoint wrote them, so an answer of hundreds of thousands of numbers
 * costs about its own size in memory rather than a tree of one object per number. Members other
 * than these are skipped (checked only as far as skipping needs); a vector's text holds nothing but
 * JSON number characters, commas and whitespace, so it can be copied into the output as it is.
 */

const MAX_DEPTH: i32 = 64;

/** What {@link readAnswer} found: vectors by place, or why the answer cannot be read. */
export class EmbeddingsAnswer {
  /** Each vector's numbers as text (`0.1,-0.2,…`), indexed by its `index` (or its place). */
  vectors: Array<string | null> = new Array<string | null>();
  /** How many numbers each vector has. */
  lengths: Array<i32> = new Array<i32>();
  /** Each vector's `index`, or -1 when it gave none. */
  indexes: Array<i32> = new Array<i32>();
  promptTokens: i64 = 0;
  /** Whether the answer had a `data` member. */
  hasData: bool = false;
  error: string | null = null;
}

function isSpace(c: i32): bool {
  return c == 0x20 || c == 0x0a || c == 0x0d || c == 0x09;
}

function isNumberChar(c: i32): bool {
  return (c >= 0x30 && c <= 0x39) || c == 0x2d || c == 0x2b || c == 0x2e || c == 0x65 || c == 0x45;
}

class Reader {
  pos: i32 = 0;
  error: string | null = null;
  constructor(public text: string) {}

  fail(message: string): void {
    if (this.error === null) this.error = message + " at character " + this.pos.toString();
  }

  skipSpace(): void {
    while (this.pos < this.text.length && isSpace(this.text.charCodeAt(this.pos))) this.pos++;
  }

  /** The next non-space character, not consumed; -1 at the end. */
  peek(): i32 {
    this.skipSpace();
    return this.pos < this.text.length ? this.text.charCodeAt(this.pos) : -1;
  }

  take(c: i32): bool {
    if (this.peek() != c) {
      this.fail("expected '" + String.fromCharCode(c) + "'");
      return false;
    }
    this.pos++;
    return true;
  }

  /** A string's raw text between its quotes (escapes left as they are). */
  rawString(): string | null {
    if (!this.take(0x22)) return null;
    const start = this.pos;
    while (this.pos < this.text.length) {
      const c = this.text.charCodeAt(this.pos);
      if (c == 0x5c) this.pos += 2;
      else if (c == 0x22) {
        this.pos++;
        return this.text.substring(start, this.pos - 1);
      } else this.pos++;
    }
    this.fail("unterminated string");
    return null;
  }

  /** A number's text, made of number characters only. */
  number(): string | null {
    this.skipSpace();
    const start = this.pos;
    while (this.pos < this.text.length && isNumberChar(this.text.charCodeAt(this.pos))) this.pos++;
    if (this.pos == start) {
      this.fail("expected a number");
      return null;
    }
    return this.text.substring(start, this.pos);
  }

  /** Skips one value of any kind. */
  skipValue(depth: i32): void {
    if (depth > MAX_DEPTH) return this.fail("nested too deep");
    const c = this.peek();
    if (c == 0x22) {
      this.rawString();
    } else if (c == 0x7b || c == 0x5b) {
      const close = c == 0x7b ? 0x7d : 0x5d;
      this.pos++;
      if (this.peek() == close) {
        this.pos++;
        return;
      }
      while (this.error === null) {
        if (c == 0x7b) {
          this.rawString();
          this.take(0x3a);
        }
        this.skipValue(depth + 1);
        if (this.peek() == 0x2c) this.pos++;
        else {
          this.take(close);
          return;
        }
      }
    } else if (c == 0x74 || c == 0x66 || c == 0x6e) {
      while (this.pos < this.text.length && this.text.charCodeAt(this.pos) >= 0x61 && this.text.charCodeAt(this.pos) <= 0x7a) this.pos++;
    } else {
      this.number();
    }
  }
}

/** One `data` item: its `embedding` as number text, and its `index`. */
function readItem(r: Reader, answer: EmbeddingsAnswer): void {
  if (!r.take(0x7b)) return;
  let vector: string | null = null;
  let count: i32 = 0;
  let index: i32 = -1;
  if (r.peek() == 0x7d) r.pos++;
  else {
    while (r.error === null) {
      const key = r.rawString();
      if (key === null || !r.take(0x3a)) return;
      if (key == "embedding" && r.peek() == 0x5b) {
        r.pos++;
        const start = r.pos;
        if (r.peek() != 0x5d) {
          while (r.error === null) {
            r.number();
            count++;
            if (r.peek() == 0x2c) r.pos++;
            else break;
          }
        }
        const end = r.pos;
        if (!r.take(0x5d)) return;
        vector = r.text.substring(start, end);
      } else if (key == "index") {
        const n = r.number();
        if (n === null) return;
        const parsed = I32.parseInt(n);
        index = parsed >= 0 ? parsed : -2;
      } else r.skipValue(1);
      if (r.peek() == 0x2c) r.pos++;
      else {
        r.take(0x7d);
        break;
      }
    }
  }
  answer.vectors.push(vector);
  answer.lengths.push(count);
  answer.indexes.push(index);
}

/** Reads an embeddings answer; `error` says why it could not. */
export function readAnswer(text: string): EmbeddingsAnswer {
  const answer = new EmbeddingsAnswer();
  const r = new Reader(text);
  if (r.take(0x7b) && r.peek() != 0x7d) {
    while (r.error === null) {
      const key = r.rawString();
      if (key === null || !r.take(0x3a)) break;
      if (key == "data" && r.peek() == 0x5b) {
        answer.hasData = true;
        r.pos++;
        if (r.peek() == 0x5d) r.pos++;
        else {
          while (r.error === null) {
            readItem(r, answer);
            if (r.peek() == 0x2c) r.pos++;
            else {
              r.take(0x5d);
              break;
            }
          }
        }
      } else if (key == "usage" && r.peek() == 0x7b) {
        r.pos++;
        while (r.error === null && r.peek() != 0x7d) {
          const name = r.rawString();
          if (name === null || !r.take(0x3a)) break;
          if (name == "prompt_tokens" && r.peek() != 0x6e) {
            const n = r.number();
            if (n !== null) answer.promptTokens = I64.parseInt(n);
          } else r.skipValue(1);
          if (r.peek() == 0x2c) r.pos++;
          else break;
        }
        r.take(0x7d);
      } else r.skipValue(1);
      if (r.peek() == 0x2c) r.pos++;
      else {
        r.take(0x7d);
        break;
      }
    }
  }
  answer.error = r.error;
  return answer;
}
