/**
 * Which bodies http-get reads as text, and the single-byte charset it decodes itself (the host
 * sends a body that is not UTF-8 as base64).
 */

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
