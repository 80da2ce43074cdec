/**
 * A small JSON value type for AssemblyScript plugins: parse UTF-16 text (decoded from the call's
 * UTF-8 input) into a tree, and serialize a tree back to text.
 *
 * - Numbers keep the text they were parsed from (`raw`), so `12345678901234567890` or `0.1`
 *   round-trip exactly; `num` holds the nearest f64.
 * - Objects keep insertion order; `set` replaces an existing key in place.
 * - Parsing is in json-parse.ts: malformed input is reported with a message and a position, never
 *   as a trap.
 * - Serialization escapes `"`, `\`, control characters and lone surrogates (`\uXXXX`); other
 *   characters, surrogate pairs included, are written as they are (UTF-8 once encoded), or as
 *   `\u` escapes when `asciiOnly` is true.
 */

export enum JsonKind {
  Null = 0,
  Bool = 1,
  Number = 2,
  String = 3,
  Array = 4,
  Object = 5,
}

/** Deepest nesting the parser accepts (the wasm stack is finite). */
export const JSON_MAX_DEPTH: i32 = 512;

/**
 * The largest integer an f64 holds exactly, 2^53 − 1 (JavaScript's `Number.MAX_SAFE_INTEGER`):
 * the integer getters refuse numbers beyond ± this, which another JSON reader may have rounded.
 */
export const JSON_MAX_SAFE_INTEGER: i64 = 9007199254740991;

/** The empty lists every value that is no array (no object) shares; see {@link JsonValue.items}. */
// @ts-ignore: decorator (lazy: made on first use, after the other modules' globals)
@lazy const NO_ITEMS = new Array<JsonValue>(0);
// @ts-ignore: decorator
@lazy const NO_KEYS = new Array<string>(0);

export class JsonValue {
  kind: JsonKind = JsonKind.Null;
  bool: bool = false;
  num: f64 = 0;
  /** The number's text as parsed (or given); "" when built from an f64. */
  raw: string = "";
  str: string = "";
  /**
   * Array items. A value that is no array shares one empty list here (and an array shares the
   * empty `keys`/`values`): parsing makes mostly strings and numbers, and three fresh arrays each
   * were most of a parse's time. Add items with `push` (or to an array's own list), never to a
   * shared one.
   */
  items: Array<JsonValue> = NO_ITEMS;
  /** Object keys, in insertion order; `values[i]` belongs to `keys[i]`. Add with `set`. */
  keys: Array<string> = NO_KEYS;
  values: Array<JsonValue> = NO_ITEMS;

  static makeNull(): JsonValue {
    return new JsonValue();
  }

  static makeBool(value: bool): JsonValue {
    const v = new JsonValue();
    v.kind = JsonKind.Bool;
    v.bool = value;
    return v;
  }

  static makeNumber(value: f64): JsonValue {
    const v = new JsonValue();
    v.kind = JsonKind.Number;
    v.num = value;
    return v;
  }

  static makeInteger(value: i64): JsonValue {
    const v = new JsonValue();
    v.kind = JsonKind.Number;
    v.num = <f64>value;
    v.raw = value.toString();
    return v;
  }

  /** A number given as JSON number text (not checked here; use only valid JSON numbers). */
  static makeRawNumber(raw: string): JsonValue {
    const v = new JsonValue();
    v.kind = JsonKind.Number;
    v.raw = raw;
    v.num = parseFloat(raw);
    return v;
  }

  static makeString(value: string): JsonValue {
    const v = new JsonValue();
    v.kind = JsonKind.String;
    v.str = value;
    return v;
  }

  static makeArray(): JsonValue {
    const v = new JsonValue();
    v.kind = JsonKind.Array;
    v.items = new Array<JsonValue>();
    return v;
  }

  static makeObject(): JsonValue {
    const v = new JsonValue();
    v.kind = JsonKind.Object;
    v.keys = new Array<string>();
    v.values = new Array<JsonValue>();
    return v;
  }

  isNull(): bool { return this.kind == JsonKind.Null; }
  isBool(): bool { return this.kind == JsonKind.Bool; }
  isNumber(): bool { return this.kind == JsonKind.Number; }
  isString(): bool { return this.kind == JsonKind.String; }
  isArray(): bool { return this.kind == JsonKind.Array; }
  isObject(): bool { return this.kind == JsonKind.Object; }

  /** Items of an array, members of an object, 0 otherwise. */
  get length(): i32 {
    if (this.kind == JsonKind.Array) return this.items.length;
    if (this.kind == JsonKind.Object) return this.keys.length;
    return 0;
  }

  /** An array's item, or null when out of range or not an array. */
  at(index: i32): JsonValue | null {
    if (this.kind != JsonKind.Array || index < 0 || index >= this.items.length) return null;
    return this.items[index];
  }

  /** Appends to an array; returns this array. */
  push(value: JsonValue): JsonValue {
    if (this.items === NO_ITEMS) this.items = new Array<JsonValue>(); // a value made with `new`, its kind set after
    this.items.push(value);
    return this;
  }

  has(key: string): bool {
    return this.kind == JsonKind.Object && this.keys.indexOf(key) >= 0;
  }

  /** An object's member, or null when absent or not an object. */
  get(key: string): JsonValue | null {
    if (this.kind != JsonKind.Object) return null;
    const i = this.keys.indexOf(key);
    return i < 0 ? null : this.values[i];
  }

  /** Sets an object's member (replacing in place, else appending); returns this object. */
  set(key: string, value: JsonValue): JsonValue {
    const i = this.keys.indexOf(key);
    if (i >= 0) {
      this.values[i] = value;
    } else {
      if (this.keys === NO_KEYS) {
        this.keys = new Array<string>();
        this.values = new Array<JsonValue>();
      }
      this.keys.push(key);
      this.values.push(value);
    }
    return this;
  }

  setString(key: string, value: string): JsonValue { return this.set(key, JsonValue.makeString(value)); }
  setNumber(key: string, value: f64): JsonValue { return this.set(key, JsonValue.makeNumber(value)); }
  setInteger(key: string, value: i64): JsonValue { return this.set(key, JsonValue.makeInteger(value)); }
  setBool(key: string, value: bool): JsonValue { return this.set(key, JsonValue.makeBool(value)); }

  /** A member that is a string, or null. */
  getString(key: string): string | null {
    const v = this.get(key);
    if (v === null || v.kind != JsonKind.String) return null;
    return v.str;
  }

  /** A member that is an array, or null. */
  getArray(key: string): JsonValue | null {
    const v = this.get(key);
    return v !== null && v.kind == JsonKind.Array ? v : null;
  }

  /** A member that is an object, or null. */
  getObject(key: string): JsonValue | null {
    const v = this.get(key);
    return v !== null && v.kind == JsonKind.Object ? v : null;
  }

  /** A member that is `true` or `false`; `fallback` when absent or of another kind. */
  getBool(key: string, fallback: bool): bool {
    const v = this.get(key);
    return v !== null && v.kind == JsonKind.Bool ? v.bool : fallback;
  }

  /**
   * A member that is a number, as its nearest f64; `fallback` when absent or of another kind.
   * A number too large for an f64 (`1e400`) is an infinity.
   */
  getNumber(key: string, fallback: f64): f64 {
    const v = this.get(key);
    return v !== null && v.kind == JsonKind.Number ? v.num : fallback;
  }

  /**
   * A member that is a whole number within ±{@link JSON_MAX_SAFE_INTEGER}; `fallback` when absent,
   * of another kind, fractional (`1.5`) or out of that range: never a trap, never a rounded value.
   * `2`, `2.0` and `2e0` are all 2.
   *
   * @example JsonValue.makeObject().setNumber("n", 1.5).getInteger("n", -1) == -1
   */
  getInteger(key: string, fallback: i64): i64 {
    const v = this.get(key);
    return v !== null ? v.asInteger(fallback) : fallback;
  }

  /**
   * A member that is a number, rounded down and held to `lo..hi` (so `1e300` gives `hi` and `2.7`
   * gives 2); `fallback`, as it is, when absent or of another kind. For an argument whose size
   * bounds the work a call does, where any number should still give a usable value.
   */
  getIntegerClamped(key: string, fallback: i64, lo: i64, hi: i64): i64 {
    const v = this.get(key);
    if (v === null || v.kind != JsonKind.Number || isNaN(v.num)) return fallback;
    // Compared as f64 first: an f64 beyond i64's range has no i64 to convert to.
    const x = Math.floor(v.num);
    if (x <= <f64>lo) return lo;
    if (x >= <f64>hi) return hi;
    return <i64>x;
  }

  /**
   * Whether this is a number with a whole value within ±{@link JSON_MAX_SAFE_INTEGER}. A parsed
   * number is judged by its text, so `1.0000000000000000001` (whose f64 is 1) is not whole.
   */
  isInteger(): bool {
    if (this.kind != JsonKind.Number) return false;
    const x = this.num;
    const whole = this.raw.length > 0 ? isWholeNumberText(this.raw) : x == Math.floor(x);
    return whole && Math.abs(x) <= <f64>JSON_MAX_SAFE_INTEGER;
  }

  /** This number as an i64 when {@link isInteger}, else `fallback`. */
  asInteger(fallback: i64): i64 {
    return this.isInteger() ? <i64>this.num : fallback;
  }

  /** Serializes; with `asciiOnly` every non-ASCII character is written as a `\u` escape. */
  stringify(asciiOnly: bool = false): string {
    const out = new Array<string>();
    writeValue(this, out, asciiOnly);
    return out.join("");
  }

  toString(): string {
    return this.stringify(false);
  }
}

const HEX = "0123456789abcdef";

/** Serializes `s` as a JSON string literal (quotes included). */
export function quoteJsonString(s: string, asciiOnly: bool = false): string {
  const out = new Array<string>();
  writeString(s, out, asciiOnly);
  return out.join("");
}

/** `c` as four lowercase hex digits (for `\u` escapes and messages). */
export function hex4(c: i32): string {
  return "\\u" + HEX.charAt((c >> 12) & 15) + HEX.charAt((c >> 8) & 15) + HEX.charAt((c >> 4) & 15) + HEX.charAt(c & 15);
}

function writeString(s: string, out: Array<string>, asciiOnly: bool): void {
  out.push('"');
  const n = s.length;
  let start = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    let escape: string | null = null;
    if (c == 0x22) escape = '\\"';
    else if (c == 0x5c) escape = "\\\\";
    else if (c < 0x20) {
      if (c == 0x0a) escape = "\\n";
      else if (c == 0x0d) escape = "\\r";
      else if (c == 0x09) escape = "\\t";
      else if (c == 0x08) escape = "\\b";
      else if (c == 0x0c) escape = "\\f";
      else escape = hex4(c);
    } else if (c >= 0xd800 && c <= 0xdfff) {
      const isPair = c <= 0xdbff && i + 1 < n && s.charCodeAt(i + 1) >= 0xdc00 && s.charCodeAt(i + 1) <= 0xdfff;
      if (isPair) {
        if (asciiOnly) {
          escape = hex4(c) + hex4(s.charCodeAt(i + 1));
          if (i > start) out.push(s.substring(start, i));
          out.push(escape);
          i++;
          start = i + 1;
          continue;
        }
        i++; // keep the pair as it is
        continue;
      }
      escape = hex4(c); // a lone surrogate cannot be UTF-8 encoded
    } else if (asciiOnly && c > 0x7e) {
      escape = hex4(c);
    }
    if (escape !== null) {
      if (i > start) out.push(s.substring(start, i));
      out.push(escape);
      start = i + 1;
    }
  }
  if (n > start) out.push(s.substring(start, n));
  out.push('"');
}

/**
 * Whether JSON number text has a whole value: no nonzero digit is left after the decimal point
 * once the exponent has moved it (`1.50e1` is whole, `1.05e1` is not).
 */
function isWholeNumberText(raw: string): bool {
  const n = raw.length;
  let i = raw.charCodeAt(0) == 0x2d ? 1 : 0;
  let intDigits = 0;
  while (i < n && isDecimalDigit(raw.charCodeAt(i))) {
    i++;
    intDigits++;
  }
  const fractionStart = i < n && raw.charCodeAt(i) == 0x2e ? i + 1 : i;
  let fractionEnd = fractionStart;
  while (fractionEnd < n && isDecimalDigit(raw.charCodeAt(fractionEnd))) fractionEnd++;
  let exponent = 0;
  i = fractionEnd;
  if (i < n && (raw.charCodeAt(i) | 0x20) == 0x65) {
    i++;
    const negative = i < n && raw.charCodeAt(i) == 0x2d;
    if (i < n && (raw.charCodeAt(i) == 0x2d || raw.charCodeAt(i) == 0x2b)) i++;
    // Capped: past a billion digits the answer no longer changes, and an i32 cannot overflow.
    while (i < n && isDecimalDigit(raw.charCodeAt(i))) {
      if (exponent < 1000000000) exponent = exponent * 10 + (raw.charCodeAt(i) - 0x30);
      i++;
    }
    if (negative) exponent = -exponent;
  }
  // The point sits after `intDigits + exponent` of all the digits; none after it may be nonzero.
  const point = <i64>intDigits + <i64>exponent;
  let k: i64 = 0;
  for (let j = 0; j < fractionEnd; j++) {
    const c = raw.charCodeAt(j);
    if (!isDecimalDigit(c)) continue;
    if (k >= point && c != 0x30) return false;
    k++;
  }
  return true;
}

function isDecimalDigit(c: i32): bool {
  return c >= 0x30 && c <= 0x39;
}

function formatNumber(v: JsonValue): string {
  if (v.raw.length > 0) return v.raw;
  const x = v.num;
  if (isNaN(x) || !isFinite(x)) return "null";
  if (x == Math.floor(x) && Math.abs(x) < 9007199254740992.0) return (<i64>x).toString();
  return x.toString();
}

function writeValue(v: JsonValue, out: Array<string>, asciiOnly: bool): void {
  switch (v.kind) {
    case JsonKind.Null:
      out.push("null");
      break;
    case JsonKind.Bool:
      out.push(v.bool ? "true" : "false");
      break;
    case JsonKind.Number:
      out.push(formatNumber(v));
      break;
    case JsonKind.String:
      writeString(v.str, out, asciiOnly);
      break;
    case JsonKind.Array: {
      out.push("[");
      for (let i = 0; i < v.items.length; i++) {
        if (i > 0) out.push(",");
        writeValue(v.items[i], out, asciiOnly);
      }
      out.push("]");
      break;
    }
    default: {
      out.push("{");
      for (let i = 0; i < v.keys.length; i++) {
        if (i > 0) out.push(",");
        writeString(v.keys[i], out, asciiOnly);
        out.push(":");
        writeValue(v.values[i], out, asciiOnly);
      }
      out.push("}");
    }
  }
}
