/**
 * Text at the boundary between bytes and strings: checking UTF-8 (AssemblyScript's
 * `String.UTF8.decode` replaces or mangles what is not), finding a character that a chunk
 * boundary cut, and cutting a string without splitting a surrogate pair (whose lone half could not
 * be written as UTF-8).
 */

/** Bytes a UTF-8 sequence starting with `lead` takes, or 0 when `lead` cannot start one. */
function sequenceLength(lead: u8): i32 {
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 0;
}

/**
 * Whether `bytes` is valid UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing past
 * U+10FFFF, no sequence cut short at the end.
 *
 * @example isValidUtf8(bytes.subarray(0, n)) // a prefix, without copying
 */
export function isValidUtf8(bytes: Uint8Array): bool {
  const len = bytes.length;
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

/** `bytes` decoded as UTF-8, or null when they are not valid UTF-8 (see {@link isValidUtf8}). */
export function decodeUtf8(bytes: Uint8Array): string | null {
  if (!isValidUtf8(bytes)) return null;
  return String.UTF8.decodeUnsafe(bytes.dataStart, <usize>bytes.length);
}

/**
 * How many bytes at the end of `bytes` (0 to 3) begin a UTF-8 character that is not complete:
 * when reading in chunks, keep them for the next chunk instead of decoding them.
 *
 * @example incompleteUtf8Tail(Uint8Array.wrap(String.UTF8.encode("a😀")).subarray(0, 3)) == 2
 */
export function incompleteUtf8Tail(bytes: Uint8Array): i32 {
  const len = bytes.length;
  for (let back = 1; back <= 3 && back <= len; back++) {
    const b = bytes[len - back];
    if ((b & 0xc0) != 0x80) {
      const need = sequenceLength(b);
      return need > back ? back : 0;
    }
  }
  return 0;
}

/**
 * The first `maxChars` UTF-16 units of `text` (all of it when it is no longer), one fewer when the
 * last one kept would be a high surrogate, so a pair is never split; "" when `maxChars` is 0 or
 * less. Whether it was cut: the result is shorter than `text`.
 *
 * @example truncateChars("ab😀", 3) == "ab"
 */
export function truncateChars(text: string, maxChars: i32): string {
  if (text.length <= maxChars) return text;
  if (maxChars <= 0) return "";
  let cut = maxChars;
  const last = text.charCodeAt(cut - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut--;
  return text.substring(0, cut);
}
