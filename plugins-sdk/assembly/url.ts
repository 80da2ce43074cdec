/**
 * URL pieces: percent-encoding and query strings. AssemblyScript's `encodeURIComponent` keeps
 * `!'()*` (JavaScript's rule, not RFC 3986's) and aborts on a lone surrogate, which would turn a
 * user's odd text into a trap.
 */

const HEX_UPPER = "0123456789ABCDEF";

function isUnreserved(c: u32): bool {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c == 0x2d || c == 0x2e || c == 0x5f || c == 0x7e;
}

function pushByte(out: Array<string>, b: u32): void {
  out.push("%" + HEX_UPPER.charAt(<i32>((b >> 4) & 15)) + HEX_UPPER.charAt(<i32>(b & 15)));
}

/**
 * Percent-encodes `s` as UTF-8, keeping only RFC 3986's unreserved characters
 * (`A-Z a-z 0-9 - . _ ~`); a lone surrogate is encoded as U+FFFD.
 *
 * @example percentEncode("café & co") == "caf%C3%A9%20%26%20co"
 */
export function percentEncode(s: string): string {
  const out = new Array<string>();
  const n = s.length;
  let start = 0;
  for (let i = 0; i < n; i++) {
    let c = <u32>s.charCodeAt(i);
    if (isUnreserved(c)) continue;
    if (i > start) out.push(s.substring(start, i));
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = i + 1 < n ? <u32>s.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        i++;
      } else {
        c = 0xfffd;
      }
    }
    if (c < 0x80) {
      pushByte(out, c);
    } else if (c < 0x800) {
      pushByte(out, 0xc0 | (c >> 6));
      pushByte(out, 0x80 | (c & 63));
    } else if (c < 0x10000) {
      pushByte(out, 0xe0 | (c >> 12));
      pushByte(out, 0x80 | ((c >> 6) & 63));
      pushByte(out, 0x80 | (c & 63));
    } else {
      pushByte(out, 0xf0 | (c >> 18));
      pushByte(out, 0x80 | ((c >> 12) & 63));
      pushByte(out, 0x80 | ((c >> 6) & 63));
      pushByte(out, 0x80 | (c & 63));
    }
    start = i + 1;
  }
  if (start == 0) return s;
  if (n > start) out.push(s.substring(start, n));
  return out.join("");
}

/**
 * A query string: `key=value` pairs, each side percent-encoded with {@link percentEncode} (so a
 * space is `%20`, never `+`), joined with `&` in the order added.
 *
 * @example new QueryBuilder().add("q", "a&b").add("n", "1").toString() == "q=a%26b&n=1"
 */
export class QueryBuilder {
  private parts: Array<string> = new Array<string>();

  /** Adds `key=value`; returns this builder. */
  add(key: string, value: string): QueryBuilder {
    this.parts.push(percentEncode(key) + "=" + percentEncode(value));
    return this;
  }

  /** The pairs joined with `&`, without a leading `?`. */
  toString(): string {
    return this.parts.join("&");
  }
}
