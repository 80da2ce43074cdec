/**
 * Parsing JSON text into {@link JsonValue} trees (json.ts holds the value type and serialization).
 * Malformed input is reported as a {@link JsonParseResult} with a message and a 0-based position,
 * never as a trap; nesting deeper than {@link JSON_MAX_DEPTH} is refused the same way, since the
 * wasm stack is finite.
 */
import { hex4, JSON_MAX_DEPTH, JsonValue } from "./json";

/** The outcome of {@link parseJson}: a value, or an error message and the 0-based UTF-16 offset. */
export class JsonParseResult {
  value: JsonValue | null = null;
  error: string = "";
  position: i32 = -1;

  get ok(): bool {
    return this.value !== null;
  }
}

class Parser {
  text: string;
  pos: i32 = 0;
  error: string = "";
  errorAt: i32 = -1;

  constructor(text: string) {
    this.text = text;
  }

  fail(message: string, at: i32): JsonValue | null {
    if (this.errorAt < 0) {
      this.error = message;
      this.errorAt = at;
    }
    return null;
  }

  describe(at: i32): string {
    if (at >= this.text.length) return "end of input";
    const c = this.text.charCodeAt(at);
    if (c < 0x20) return "control character " + hex4(c).substring(1);
    return "'" + this.text.charAt(at) + "'";
  }

  skipSpace(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d) this.pos++;
      else break;
    }
  }

  parseValue(depth: i32): JsonValue | null {
    if (depth > JSON_MAX_DEPTH) return this.fail("nesting deeper than " + JSON_MAX_DEPTH.toString(), this.pos);
    this.skipSpace();
    const t = this.text;
    if (this.pos >= t.length) return this.fail("unexpected end of input", this.pos);
    const c = t.charCodeAt(this.pos);
    if (c == 0x7b) return this.parseObject(depth);
    if (c == 0x5b) return this.parseArray(depth);
    if (c == 0x22) {
      const s = this.parseString();
      if (s === null) return null;
      return JsonValue.makeString(s);
    }
    if (c == 0x2d || (c >= 0x30 && c <= 0x39)) return this.parseNumber();
    if (this.matchWord("true")) return JsonValue.makeBool(true);
    if (this.matchWord("false")) return JsonValue.makeBool(false);
    if (this.matchWord("null")) return JsonValue.makeNull();
    return this.fail("unexpected " + this.describe(this.pos), this.pos);
  }

  matchWord(word: string): bool {
    const end = this.pos + word.length;
    if (end > this.text.length) return false;
    if (this.text.substring(this.pos, end) != word) return false;
    this.pos = end;
    return true;
  }

  parseObject(depth: i32): JsonValue | null {
    const obj = JsonValue.makeObject();
    this.pos++; // {
    this.skipSpace();
    if (this.pos < this.text.length && this.text.charCodeAt(this.pos) == 0x7d) {
      this.pos++;
      return obj;
    }
    while (true) {
      this.skipSpace();
      if (this.pos >= this.text.length || this.text.charCodeAt(this.pos) != 0x22) {
        return this.fail("expected a string key, found " + this.describe(this.pos), this.pos);
      }
      const key = this.parseString();
      if (key === null) return null;
      this.skipSpace();
      if (this.pos >= this.text.length || this.text.charCodeAt(this.pos) != 0x3a) {
        return this.fail("expected ':', found " + this.describe(this.pos), this.pos);
      }
      this.pos++;
      const value = this.parseValue(depth + 1);
      if (value === null) return null;
      obj.set(key, value);
      this.skipSpace();
      if (this.pos >= this.text.length) return this.fail("unterminated object", this.pos);
      const c = this.text.charCodeAt(this.pos);
      this.pos++;
      if (c == 0x2c) continue;
      if (c == 0x7d) return obj;
      return this.fail("expected ',' or '}', found " + this.describe(this.pos - 1), this.pos - 1);
    }
  }

  parseArray(depth: i32): JsonValue | null {
    const arr = JsonValue.makeArray();
    this.pos++; // [
    this.skipSpace();
    if (this.pos < this.text.length && this.text.charCodeAt(this.pos) == 0x5d) {
      this.pos++;
      return arr;
    }
    while (true) {
      const value = this.parseValue(depth + 1);
      if (value === null) return null;
      arr.items.push(value);
      this.skipSpace();
      if (this.pos >= this.text.length) return this.fail("unterminated array", this.pos);
      const c = this.text.charCodeAt(this.pos);
      this.pos++;
      if (c == 0x2c) continue;
      if (c == 0x5d) return arr;
      return this.fail("expected ',' or ']', found " + this.describe(this.pos - 1), this.pos - 1);
    }
  }

  hexDigit(c: i32): i32 {
    if (c >= 0x30 && c <= 0x39) return c - 0x30;
    if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
    if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
    return -1;
  }

  /** At an opening quote; returns the string's value, or null (error set). */
  parseString(): string | null {
    const t = this.text;
    const open = this.pos;
    this.pos++;
    const parts = new Array<string>();
    let start = this.pos;
    while (true) {
      if (this.pos >= t.length) {
        this.fail("unterminated string starting at " + open.toString(), this.pos);
        return null;
      }
      const c = t.charCodeAt(this.pos);
      if (c == 0x22) {
        if (this.pos > start) parts.push(t.substring(start, this.pos));
        this.pos++;
        return parts.join("");
      }
      if (c < 0x20) {
        this.fail("unescaped " + this.describe(this.pos) + " in string", this.pos);
        return null;
      }
      if (c != 0x5c) {
        this.pos++;
        continue;
      }
      if (this.pos > start) parts.push(t.substring(start, this.pos));
      const at = this.pos;
      this.pos++;
      if (this.pos >= t.length) {
        this.fail("unterminated escape", at);
        return null;
      }
      const e = t.charCodeAt(this.pos);
      this.pos++;
      if (e == 0x22) parts.push('"');
      else if (e == 0x5c) parts.push("\\");
      else if (e == 0x2f) parts.push("/");
      else if (e == 0x62) parts.push("\b");
      else if (e == 0x66) parts.push("\f");
      else if (e == 0x6e) parts.push("\n");
      else if (e == 0x72) parts.push("\r");
      else if (e == 0x74) parts.push("\t");
      else if (e == 0x75) {
        if (this.pos + 4 > t.length) {
          this.fail("incomplete \\u escape", at);
          return null;
        }
        let code = 0;
        for (let k = 0; k < 4; k++) {
          const d = this.hexDigit(t.charCodeAt(this.pos + k));
          if (d < 0) {
            this.fail("invalid \\u escape", at);
            return null;
          }
          code = (code << 4) | d;
        }
        this.pos += 4;
        // Surrogate halves are kept as UTF-16 units: a \uD83D\uDE00 pair becomes one character.
        parts.push(String.fromCharCode(code));
      } else {
        this.fail("invalid escape \\" + t.charAt(this.pos - 1), at);
        return null;
      }
      start = this.pos;
    }
  }

  isDigit(at: i32): bool {
    if (at >= this.text.length) return false;
    const c = this.text.charCodeAt(at);
    return c >= 0x30 && c <= 0x39;
  }

  parseNumber(): JsonValue | null {
    const t = this.text;
    const start = this.pos;
    if (t.charCodeAt(this.pos) == 0x2d) this.pos++;
    if (!this.isDigit(this.pos)) return this.fail("invalid number", start);
    if (t.charCodeAt(this.pos) == 0x30) {
      this.pos++;
    } else {
      while (this.isDigit(this.pos)) this.pos++;
    }
    if (this.pos < t.length && t.charCodeAt(this.pos) == 0x2e) {
      this.pos++;
      if (!this.isDigit(this.pos)) return this.fail("invalid number: digits expected after '.'", this.pos);
      while (this.isDigit(this.pos)) this.pos++;
    }
    if (this.pos < t.length && (t.charCodeAt(this.pos) == 0x65 || t.charCodeAt(this.pos) == 0x45)) {
      this.pos++;
      if (this.pos < t.length && (t.charCodeAt(this.pos) == 0x2b || t.charCodeAt(this.pos) == 0x2d)) this.pos++;
      if (!this.isDigit(this.pos)) return this.fail("invalid number: digits expected in exponent", this.pos);
      while (this.isDigit(this.pos)) this.pos++;
    }
    return JsonValue.makeRawNumber(t.substring(start, this.pos));
  }
}

/** Parses JSON text; the result holds the value, or an error with its position. */
export function parseJson(text: string): JsonParseResult {
  const p = new Parser(text);
  const result = new JsonParseResult();
  const value = p.parseValue(0);
  if (value !== null) {
    p.skipSpace();
    if (p.pos < text.length) {
      p.fail("unexpected " + p.describe(p.pos) + " after the value", p.pos);
    } else {
      result.value = value;
      return result;
    }
  }
  result.error = p.error + " at position " + p.errorAt.toString();
  result.position = p.errorAt;
  return result;
}
