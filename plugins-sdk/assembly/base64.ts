/**
 * Base64 (RFC 4648, standard alphabet) for the bytes the host passes as text: a file chunk that
 * is not UTF-8 (`{"base64": …}`), an HTTP body that is not UTF-8 (`body_base64`), and a request
 * body of bytes.
 */

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

function sextet(c: i32): i32 {
  if (c >= 0x41 && c <= 0x5a) return c - 0x41;
  if (c >= 0x61 && c <= 0x7a) return c - 0x61 + 26;
  if (c >= 0x30 && c <= 0x39) return c - 0x30 + 52;
  if (c == 0x2b) return 62;
  if (c == 0x2f) return 63;
  return -1;
}

/**
 * Decodes standard base64 (`A-Z a-z 0-9 + /`), with or without its `=` padding, or null when the
 * text is not base64: another character (whitespace and the URL alphabet's `-_` included),
 * padding anywhere but at the end or more of it than the length calls for, or a length that no
 * bytes encode to.
 *
 * @example decodeBase64("aGk=") // the bytes of "hi"; decodeBase64("aGk") too; decodeBase64("a") == null
 */
export function decodeBase64(text: string): Uint8Array | null {
  const n = text.length;
  let end = n;
  while (end > 0 && n - end < 2 && text.charCodeAt(end - 1) == 0x3d) end--;
  if (end < n && n % 4 != 0) return null; // padded, then padded to a multiple of 4
  if (end % 4 == 1) return null; // one character holds 6 bits: no byte
  const out = new Uint8Array((end * 3) >> 2);
  let acc: u32 = 0;
  let bits: u32 = 0;
  let o = 0;
  for (let i = 0; i < end; i++) {
    const v = sextet(text.charCodeAt(i));
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

/**
 * Encodes bytes as standard base64 with `=` padding, as Node's `Buffer.toString("base64")` does.
 *
 * @example encodeBase64(Uint8Array.wrap(String.UTF8.encode("hi"))) == "aGk="
 */
export function encodeBase64(bytes: Uint8Array): string {
  const n = bytes.length;
  const units = new Uint16Array(((n + 2) / 3) * 4);
  let o = 0;
  for (let i = 0; i < n; i += 3) {
    const rest = n - i;
    const b0 = <u32>bytes[i];
    const b1 = rest > 1 ? <u32>bytes[i + 1] : 0;
    const b2 = rest > 2 ? <u32>bytes[i + 2] : 0;
    const triple = (b0 << 16) | (b1 << 8) | b2;
    units[o++] = <u16>ALPHABET.charCodeAt((triple >> 18) & 63);
    units[o++] = <u16>ALPHABET.charCodeAt((triple >> 12) & 63);
    units[o++] = rest > 1 ? <u16>ALPHABET.charCodeAt((triple >> 6) & 63) : 0x3d;
    units[o++] = rest > 2 ? <u16>ALPHABET.charCodeAt(triple & 63) : 0x3d;
  }
  return String.UTF16.decode(units.buffer);
}
