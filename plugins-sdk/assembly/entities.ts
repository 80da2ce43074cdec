/**
 * HTML character references: the named ones pages commonly use, and every numeric one. Unknown
 * names are left as written, as browsers do, rather than guessed at.
 */

const NAMES: Array<string> = [
  "amp", "lt", "gt", "quot", "apos", "nbsp", "copy", "reg", "trade", "mdash", "ndash", "hellip",
  "laquo", "raquo", "lsquo", "rsquo", "ldquo", "rdquo", "bull", "middot", "deg", "times", "euro",
];
// nbsp becomes a plain space: the text is for reading, and a no-break space would survive the
// whitespace collapsing as an invisible odd character.
const CODES: Array<i32> = [
  0x26, 0x3c, 0x3e, 0x22, 0x27, 0x20, 0xa9, 0xae, 0x2122, 0x2014, 0x2013, 0x2026,
  0xab, 0xbb, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0xb7, 0xb0, 0xd7, 0x20ac,
];
const LONGEST_NAME = 6;
// Names HTML still decodes without the ';' (a subset of its legacy list: the ones in NAMES).
const LEGACY: Array<string> = ["amp", "lt", "gt", "quot", "nbsp", "copy", "reg"];

function isDigit(c: i32): bool {
  return c >= 0x30 && c <= 0x39;
}

/** Whether `c` after a name without ';' makes it not a reference (`&copy2`, `&amp=` in a query). */
function continuesName(c: i32): bool {
  return isDigit(c) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c == 0x3d;
}

function hexValue(c: i32): i32 {
  if (isDigit(c)) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

/** A numeric reference's code point as a string; 0, surrogates and values past U+10FFFF are U+FFFD. */
function codePointText(cp: i64): string {
  if (cp <= 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return "\uFFFD";
  return String.fromCodePoint(<i32>cp);
}

/**
 * Decodes `&name;`, `&#123;` and `&#x1F600;` in `s`. A numeric reference without its `;` is still
 * decoded, and so are `&amp &lt &gt &quot &nbsp &copy &reg` before a character that is not a letter,
 * digit or `=` (browsers do both); other names need their `;`.
 *
 * @example decodeEntities("Fish &amp; chips &#8211; &#x1F41F;") == "Fish & chips – 🐟"
 */
export function decodeEntities(s: string): string {
  let amp = s.indexOf("&");
  if (amp < 0) return s;
  const out = new Array<string>();
  let start = 0;
  const n = s.length;
  while (amp >= 0) {
    let end = -1; // index after the reference
    let text = "";
    if (amp + 1 < n && s.charCodeAt(amp + 1) == 0x23) {
      let i = amp + 2;
      const hex = i < n && (s.charCodeAt(i) | 0x20) == 0x78;
      if (hex) i++;
      const digitsAt = i;
      let value: i64 = 0;
      while (i < n) {
        const d = hex ? hexValue(s.charCodeAt(i)) : isDigit(s.charCodeAt(i)) ? s.charCodeAt(i) - 0x30 : -1;
        if (d < 0) break;
        if (value <= 0x10ffff) value = value * (hex ? 16 : 10) + d; // past the range it stays invalid
        i++;
      }
      if (i > digitsAt) {
        if (i < n && s.charCodeAt(i) == 0x3b) i++;
        end = i;
        text = codePointText(value);
      }
    } else {
      // Only a short window is searched: indexOf(";") over a page full of bare '&' is quadratic.
      let semi = -1;
      const limit = min(n, amp + 2 + LONGEST_NAME);
      for (let j = amp + 1; j < limit; j++) {
        if (s.charCodeAt(j) == 0x3b) {
          semi = j;
          break;
        }
      }
      if (semi > amp + 1) {
        const k = NAMES.indexOf(s.substring(amp + 1, semi));
        if (k >= 0) {
          end = semi + 1;
          text = String.fromCharCode(CODES[k]);
        }
      }
      if (end < 0) {
        // Sloppy pages write "3 &lt 4"; browsers accept a few old names without ';' in text.
        for (let k = 0; k < LEGACY.length; k++) {
          const name = LEGACY[k];
          const after = amp + 1 + name.length;
          if (s.startsWith(name, amp + 1) && (after >= n || !continuesName(s.charCodeAt(after)))) {
            end = after;
            text = String.fromCharCode(CODES[NAMES.indexOf(name)]);
            break;
          }
        }
      }
    }
    if (end > 0) {
      if (amp > start) out.push(s.substring(start, amp));
      out.push(text);
      start = end;
    }
    amp = s.indexOf("&", end > 0 ? end : amp + 1);
  }
  if (n > start) out.push(s.substring(start, n));
  return out.join("");
}
