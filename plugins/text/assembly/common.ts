/**
 * What every step shares: the caps on work and output, reading arguments with the field named in
 * the error, characters (UTF-16 units and surrogate pairs), and bounded string building.
 */
import { collect, JsonValue, outputText, quoteJsonString } from "@shimmy/plugin-sdk/assembly";

/** Most characters (UTF-16 units) a step returns in all its strings together. */
export const MAX_OUTPUT_CHARS: i32 = 2_000_000;

/** Longest output JSON, in characters: the strings above, their escapes and the structure around them. */
export const MAX_JSON_CHARS: i32 = 4_000_000;

/**
 * A step's output JSON, written piece by piece: a tree of `JsonValue`s costs a few hundred bytes
 * per value, which a list of 10,000 chunks cannot afford in a plugin's memory. `add` returns false
 * once the text would pass {@link MAX_JSON_CHARS}.
 */
export class JsonOut {
  parts: Array<string> = new Array<string>();
  length: i32 = 0;

  add(part: string): bool {
    if (part.length > MAX_JSON_CHARS - this.length) return false;
    this.parts.push(part);
    this.length += part.length;
    return true;
  }

  /** Ends the call with this JSON as its output (returns the export's 0). */
  finish(): i32 {
    const text = this.parts.join("");
    this.parts = new Array<string>();
    outputText(text);
    collect();
    return 0;
  }
}

/** `s` as a JSON string literal. */
export function quote(s: string): string {
  return quoteJsonString(s);
}

/** The error for output JSON past {@link MAX_JSON_CHARS}. */
export function tooMuchJson(): string {
  return "the output would be longer than " + MAX_JSON_CHARS.toString() + " characters of JSON";
}

/** Reads a step's input, keeping the first error (named after its field) for the reply. */
export class Args {
  input: JsonValue;
  error: string | null = null;

  constructor(input: JsonValue) {
    this.input = input;
  }

  refuse(message: string): void {
    if (this.error === null) this.error = message;
  }

  /** A required string member. */
  text(key: string): string {
    const v = this.input.get(key);
    if (v === null || !v.isString()) {
      this.refuse('"' + key + '" must be a string');
      return "";
    }
    return v.str;
  }

  /** An optional string member; `fallback` when absent or null. */
  str(key: string, fallback: string): string {
    const v = this.input.get(key);
    if (v === null || v.isNull()) return fallback;
    if (!v.isString()) {
      this.refuse('"' + key + '" must be a string');
      return fallback;
    }
    return v.str;
  }

  /** An optional boolean member; `fallback` when absent or null. */
  bool(key: string, fallback: bool): bool {
    const v = this.input.get(key);
    if (v === null || v.isNull()) return fallback;
    if (!v.isBool()) {
      this.refuse('"' + key + '" must be true or false');
      return fallback;
    }
    return v.bool;
  }

  /** An optional integer member in lo..hi; `fallback` when absent or null. */
  int(key: string, fallback: i32, lo: i32, hi: i32): i32 {
    const v = this.input.get(key);
    if (v === null || v.isNull()) return fallback;
    // Anything but a whole number reads as i64.MAX_VALUE, past every bound.
    const n = v.asInteger(i64.MAX_VALUE);
    if (n < <i64>lo || n > <i64>hi) {
      this.refuse('"' + key + '" must be an integer from ' + lo.toString() + " to " + hi.toString());
      return fallback;
    }
    return <i32>n;
  }

  /** An optional member that must be one of `choices`; `fallback` when absent or null. */
  choice(key: string, fallback: string, choices: Array<string>): string {
    const s = this.str(key, fallback);
    if (!choices.includes(s)) {
      this.refuse('"' + key + '" must be one of: ' + choices.join(", "));
      return fallback;
    }
    return s;
  }
}

/** Whether `c` (a UTF-16 unit) is white space as JavaScript's `\s` counts it. */
export function isSpace(c: i32): bool {
  if (c == 0x20 || (c >= 0x09 && c <= 0x0d)) return true;
  if (c < 0xa0) return false;
  return c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000 || c == 0xfeff;
}

/** Whether `c` is a high (leading) surrogate. */
export function isHighSurrogate(c: i32): bool {
  return c >= 0xd800 && c <= 0xdbff;
}

/** Whether `c` is a low (trailing) surrogate. */
export function isLowSurrogate(c: i32): bool {
  return c >= 0xdc00 && c <= 0xdfff;
}

/** Whether a cut of `text` at `i` would split a surrogate pair. */
export function splitsPair(text: string, i: i32): bool {
  return i > 0 && i < text.length && isHighSurrogate(text.charCodeAt(i - 1)) && isLowSurrogate(text.charCodeAt(i));
}

/** `text` without white space at either end. */
export function trimSpace(text: string): string {
  let a = 0;
  let b = text.length;
  while (a < b && isSpace(text.charCodeAt(a))) a++;
  while (b > a && isSpace(text.charCodeAt(b - 1))) b--;
  return a == 0 && b == text.length ? text : text.substring(a, b);
}

/**
 * Builds a string from parts, refusing to grow past {@link MAX_OUTPUT_CHARS}: `add` returns false
 * (and `overflowed` is set) once the total would pass it, so the caller stops at once.
 */
export class BoundedText {
  parts: Array<string> = new Array<string>();
  length: i32 = 0;
  overflowed: bool = false;
  limit: i32;

  constructor(limit: i32 = MAX_OUTPUT_CHARS) {
    this.limit = limit;
  }

  add(part: string): bool {
    if (this.overflowed) return false;
    if (part.length > this.limit - this.length) {
      this.overflowed = true;
      return false;
    }
    this.parts.push(part);
    this.length += part.length;
    return true;
  }

  toString(): string {
    return this.parts.join("");
  }
}

/** The error for output past {@link MAX_OUTPUT_CHARS}. */
export function tooMuchOutput(what: string): string {
  return what + " would be longer than " + MAX_OUTPUT_CHARS.toString() + " characters";
}

/** A JSON value as text: a string as it is, null as "", a number as written, anything else as JSON. */
export function valueText(v: JsonValue): string {
  if (v.isString()) return v.str;
  if (v.isNull()) return "";
  return v.stringify();
}

/** Most object members looked at by one step's path lookups (an object's lookup reads its keys in turn). */
export const MAX_LOOKUP_WORK: i64 = 10_000_000;

/** The work path lookups have done, against {@link MAX_LOOKUP_WORK}. */
export class LookupBudget {
  spent: i64 = 0;

  get exhausted(): bool {
    return this.spent > MAX_LOOKUP_WORK;
  }
}

/**
 * The member of `root` at a dotted `path` (`user.name`, `items.0`: a number indexes an array), or
 * null (also once `budget` is exhausted: check it). Each path is at most {@link MAX_PATH_SEGMENTS} deep.
 */
export function lookupPath(root: JsonValue, path: string, budget: LookupBudget): JsonValue | null {
  let v: JsonValue | null = root;
  let start = 0;
  let segments = 0;
  while (v !== null) {
    let end = path.indexOf(".", start);
    if (end < 0) end = path.length;
    const key = path.substring(start, end);
    if (++segments > MAX_PATH_SEGMENTS) return null;
    if (v.isArray()) {
      const index = parseIndex(key);
      v = index < 0 ? null : v.at(index);
    } else {
      budget.spent += <i64>v.length + 1;
      if (budget.exhausted) return null;
      v = v.get(key);
    }
    if (end >= path.length) return v;
    start = end + 1;
  }
  return null;
}

/** Deepest path a template or `join`'s `field` may name. */
export const MAX_PATH_SEGMENTS: i32 = 32;

/** A non-negative decimal index of at most 9 digits, or -1. */
function parseIndex(key: string): i32 {
  if (key.length == 0 || key.length > 9) return -1;
  let n = 0;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return -1;
    n = n * 10 + (c - 0x30);
  }
  return n;
}
