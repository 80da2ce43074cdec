/**
 * `split`: a text cut into lines, paragraphs, sentences, or at a separator. Every mode is one pass
 * over the text; the pieces hold no more characters than the text.
 */
import { isSpace, trimSpace } from "./common";

/** The pieces of a split, or why there are none. */
export class SplitResult {
  pieces: Array<string> = new Array<string>();
  error: string | null = null;
}

/** How `split` cuts: the `by` argument. */
export const SPLIT_MODES: Array<string> = ["lines", "paragraphs", "sentences", "separator"];

class Collector {
  result: SplitResult = new SplitResult();
  trim: bool;
  skipEmpty: bool;
  maxPieces: i32;

  constructor(trim: bool, skipEmpty: bool, maxPieces: i32) {
    this.trim = trim;
    this.skipEmpty = skipEmpty;
    this.maxPieces = maxPieces;
  }

  /** Adds a piece; false once there would be more than `maxPieces` (the error is set). */
  add(piece: string): bool {
    const kept = this.trim ? trimSpace(piece) : piece;
    if (this.skipEmpty && kept.length == 0) return true;
    if (this.result.pieces.length >= this.maxPieces) {
      this.result.error = "the text splits into more than " + this.maxPieces.toString() + " pieces; raise max_pieces (at most 100000) or split a shorter text";
      return false;
    }
    this.result.pieces.push(kept);
    return true;
  }
}

/** The end of the line starting at `i` (its line break excluded), and where the next one starts. */
class Line {
  end: i32 = 0;
  next: i32 = 0;
}

function lineAt(text: string, i: i32, line: Line): void {
  const n = text.length;
  let j = i;
  while (j < n) {
    const c = text.charCodeAt(j);
    if (c == 0x0a || c == 0x0d) break;
    j++;
  }
  line.end = j;
  if (j < n && text.charCodeAt(j) == 0x0d && j + 1 < n && text.charCodeAt(j + 1) == 0x0a) line.next = j + 2;
  else line.next = j < n ? j + 1 : n;
}

function isBlank(text: string, from: i32, to: i32): bool {
  for (let i = from; i < to; i++) if (!isSpace(text.charCodeAt(i))) return false;
  return true;
}

/** Closing quotes and brackets that may follow a sentence's final punctuation. */
function isCloser(c: i32): bool {
  return c == 0x22 || c == 0x27 || c == 0x29 || c == 0x5d || c == 0xbb || c == 0x2019 || c == 0x201d || c == 0x300d || c == 0x300f;
}

/** Final punctuation that ends a sentence when white space follows. */
function isFinal(c: i32): bool {
  return c == 0x2e || c == 0x21 || c == 0x3f || c == 0x2026;
}

/** CJK final punctuation, which ends a sentence with or without white space after it. */
function isWideFinal(c: i32): bool {
  return c == 0x3002 || c == 0xff01 || c == 0xff1f;
}

/**
 * Splits `text`:
 * - `lines` at `\n`, `\r\n` or `\r` (a text ending in a line break has no empty last line);
 * - `paragraphs` at blank lines (lines of white space only), each paragraph its lines as written;
 * - `sentences` after `.`, `!`, `?` or `…` (and any closing quotes or brackets) followed by white
 *   space, after `。`, `！` or `？`, and at blank lines; each sentence without surrounding white
 *   space. A heuristic: "e.g. this" is cut after "e.g.";
 * - `separator` at each occurrence of `separator`, as JavaScript's `split` does.
 */
export function splitText(text: string, mode: string, separator: string, trim: bool, skipEmpty: bool, maxPieces: i32): SplitResult {
  const out = new Collector(trim, skipEmpty, maxPieces);
  const n = text.length;
  if (mode == "separator") {
    let start = 0;
    for (;;) {
      const at = text.indexOf(separator, start);
      if (at < 0) break;
      if (!out.add(text.substring(start, at))) return out.result;
      start = at + separator.length;
    }
    out.add(text.substring(start));
  } else if (mode == "lines") {
    const line = new Line();
    let i = 0;
    while (i < n) {
      lineAt(text, i, line);
      if (!out.add(text.substring(i, line.end))) return out.result;
      i = line.next;
    }
  } else if (mode == "paragraphs") {
    const line = new Line();
    let start = -1; // where the paragraph being read starts; -1 between paragraphs
    let end = 0;
    let i = 0;
    while (i < n) {
      lineAt(text, i, line);
      if (isBlank(text, i, line.end)) {
        if (start >= 0 && !out.add(text.substring(start, end))) return out.result;
        start = -1;
      } else {
        if (start < 0) start = i;
        end = line.end;
      }
      i = line.next;
    }
    if (start >= 0) out.add(text.substring(start, end));
  } else {
    let start = 0;
    let i = 0;
    while (i < n) {
      const c = text.charCodeAt(i);
      let cut = -1; // where the sentence ends, if it does here
      if (isFinal(c) || isWideFinal(c)) {
        let j = i + 1;
        while (j < n && isCloser(text.charCodeAt(j))) j++;
        if (isWideFinal(c) || j == n || isSpace(text.charCodeAt(j))) cut = j;
      } else if (c == 0x0a) {
        // A blank line ends a sentence that has no final punctuation (a title, a list item).
        let j = i + 1;
        while (j < n && isSpace(text.charCodeAt(j)) && text.charCodeAt(j) != 0x0a) j++;
        if (j < n && text.charCodeAt(j) == 0x0a) cut = i;
      }
      if (cut < 0) {
        i++;
        continue;
      }
      const sentence = trimSpace(text.substring(start, cut));
      if (sentence.length > 0 && !out.add(sentence)) return out.result;
      start = cut;
      i = cut > i ? cut : i + 1;
    }
    const last = trimSpace(text.substring(start));
    if (last.length > 0) out.add(last);
  }
  return out.result;
}
