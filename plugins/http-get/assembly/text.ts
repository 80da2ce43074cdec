/**
 * Body handling that the SDK does not offer: media types, base64, single-byte charsets, and
 * truncation that never splits a surrogate pair.
 */

/** A Content-Type header split into its media type (lowercased) and charset (lowercased, or ""). */
export class ContentType {
  mediaType: string = "";
  charset: string = "";
}

/** Parses `text/html; charset=UTF-8`; an absent header gives an empty media type. */
export function parseContentType(header: string | null): ContentType {
  const result = new ContentType();
  if (header === null) return result;
  const parts = header.split(";");
  result.mediaType = parts[0].trim().toLowerCase();
  for (let i = 1; i < parts.length; i++) {
    const p = parts[i].trim();
    const eq = p.indexOf("=");
    if (eq < 0 || p.substring(0, eq).trim().toLowerCase() != "charset") continue;
    let value = p.substring(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.substring(1, value.length - 1);
    result.charset = value.toLowerCase();
  }
  return result;
}

/** Whether a media type is HTML (reduced to text). */
export function isHtml(mediaType: string): bool {
  return mediaType == "text/html" || mediaType == "application/xhtml+xml";
}

/** Whether a media type is text passed through as it is: text/*, JSON and XML (+json, +xml too). */
export function isPlainText(mediaType: string): bool {
  return (
    mediaType.startsWith("text/") ||
    mediaType == "application/json" ||
    mediaType == "application/xml" ||
    mediaType.endsWith("+json") ||
    mediaType.endsWith("+xml")
  );
}

// The labels the WHATWG Encoding standard maps to windows-1252 (which browsers use for all of them).
const WINDOWS_1252_LABELS: Array<string> = [
  "windows-1252", "cp1252", "x-cp1252", "iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "l1", "ascii", "us-ascii",
  "iso-ir-100", "csisolatin1", "ibm819", "cp819", "iso88591", "iso_8859-1:1987",
];

/** Whether a charset label means windows-1252 (Latin-1 and ASCII labels included). */
export function isWindows1252(charset: string): bool {
  return WINDOWS_1252_LABELS.indexOf(charset) >= 0;
}

// windows-1252 bytes 0x80-0x9f; 0 marks the five undefined ones (decoded as the C1 control, as WHATWG does).
const W1252_HIGH: Array<i32> = [
  0x20ac, 0, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017d, 0,
  0, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0, 0x017e, 0x0178,
];

/** Decodes windows-1252 bytes (every byte is a character, so this cannot fail). */
export function decodeWindows1252(bytes: Uint8Array): string {
  const codes = new Array<string>();
  const chunk = 4096;
  for (let start = 0; start < bytes.length; start += chunk) {
    const end = min(bytes.length, start + chunk);
    const units = new Array<i32>(end - start);
    for (let i = start; i < end; i++) {
      const b = <i32>bytes[i];
      const mapped = b >= 0x80 && b <= 0x9f ? W1252_HIGH[b - 0x80] : 0;
      units[i - start] = mapped != 0 ? mapped : b;
    }
    codes.push(String.fromCharCodes(units));
  }
  return codes.join("");
}

function base64Value(c: i32): i32 {
  if (c >= 0x41 && c <= 0x5a) return c - 0x41;
  if (c >= 0x61 && c <= 0x7a) return c - 0x61 + 26;
  if (c >= 0x30 && c <= 0x39) return c - 0x30 + 52;
  if (c == 0x2b || c == 0x2d) return 62;
  if (c == 0x2f || c == 0x5f) return 63;
  return -1;
}

/** Decodes base64 (standard or URL alphabet; padding and other characters are skipped). */
export function decodeBase64(text: string): Uint8Array {
  const out = new Uint8Array((text.length * 3) / 4 + 3);
  let bits: u32 = 0;
  let count = 0;
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const v = base64Value(text.charCodeAt(i));
    if (v < 0) continue;
    bits = (bits << 6) | <u32>v;
    count += 6;
    if (count >= 8) {
      count -= 8;
      out[n++] = <u8>((bits >> <u32>count) & 0xff);
    }
  }
  return out.subarray(0, n);
}

/**
 * The first `maxChars` UTF-16 units of `text`, one fewer when the cut would split a surrogate pair
 * (a lone half cannot be encoded as UTF-8).
 */
export function truncateChars(text: string, maxChars: i32): string {
  if (text.length <= maxChars) return text;
  let cut = maxChars;
  const last = text.charCodeAt(cut - 1);
  if (cut > 0 && last >= 0xd800 && last <= 0xdbff) cut--;
  return text.substring(0, cut);
}
