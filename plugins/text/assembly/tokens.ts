/**
 * Approximate token counts. The model's tokenizer is not available inside a plugin, so tokens are
 * estimated with the rule of thumb BPE tokenizers follow on prose:
 *
 * - a run of letters (ASCII, Latin-1 and Latin Extended, Greek, Cyrillic) is one token per 4
 *   letters, rounded up ("the" 1, "tokenization" 3);
 * - a run of digits is one token per 3 digits, rounded up ("2026" 2);
 * - every other character that is not white space (punctuation, symbols, each CJK character, each
 *   emoji) is one token;
 * - white space is no token: it joins the token after it, as BPE tokenizers fold a leading space in.
 *
 * Token spans never include white space, so a chunk cut on token boundaries starts and ends on
 * text; {@link TokenSpans.joined} tells the pieces of one long word apart, so a cut can avoid them.
 */
import { isHighSurrogate, isLowSurrogate, isSpace } from "./common";

const LETTERS_PER_TOKEN: i32 = 4;
const DIGITS_PER_TOKEN: i32 = 3;

const KIND_OTHER: i32 = 0;
const KIND_LETTER: i32 = 1;
const KIND_DIGIT: i32 = 2;

/** Whether `c` counts as a letter of a word (see the module comment). */
function kindOf(c: i32): i32 {
  if (c >= 0x30 && c <= 0x39) return KIND_DIGIT;
  if ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)) return KIND_LETTER;
  // Latin-1 letters (not × and ÷), Latin Extended-A/B, Greek and Coptic, Cyrillic.
  if (c >= 0xc0 && c <= 0x24f && c != 0xd7 && c != 0xf7) return KIND_LETTER;
  if (c >= 0x370 && c <= 0x4ff) return KIND_LETTER;
  return KIND_OTHER;
}

/** The tokens of a text as spans: token `k` is `text.substring(starts[k], ends[k])`. */
export class TokenSpans {
  starts: Array<i32> = new Array<i32>();
  ends: Array<i32> = new Array<i32>();
  /** Whether token `k` continues the word of token `k - 1` (a word longer than one token). */
  joined: Array<bool> = new Array<bool>();

  get count(): i32 {
    return this.starts.length;
  }
}

/** The approximate tokens of `text`, as spans. */
export function tokenSpans(text: string): TokenSpans {
  const spans = new TokenSpans();
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (isSpace(c)) {
      i++;
      continue;
    }
    const kind = kindOf(c);
    if (kind == KIND_OTHER) {
      const width = isHighSurrogate(c) && i + 1 < n && isLowSurrogate(text.charCodeAt(i + 1)) ? 2 : 1;
      spans.starts.push(i);
      spans.ends.push(i + width);
      spans.joined.push(false);
      i += width;
      continue;
    }
    const per = kind == KIND_LETTER ? LETTERS_PER_TOKEN : DIGITS_PER_TOKEN;
    let end = i + 1;
    while (end < n && kindOf(text.charCodeAt(end)) == kind) end++;
    for (let s = i; s < end; s += per) {
      spans.starts.push(s);
      spans.ends.push(min(s + per, end));
      spans.joined.push(s > i);
    }
    i = end;
  }
  return spans;
}

/** The approximate token count of `text[from, to)`, without building spans. */
export function countTokens(text: string, from: i32, to: i32): i32 {
  let count = 0;
  let i = from;
  while (i < to) {
    const c = text.charCodeAt(i);
    if (isSpace(c)) {
      i++;
      continue;
    }
    const kind = kindOf(c);
    if (kind == KIND_OTHER) {
      i += isHighSurrogate(c) && i + 1 < to && isLowSurrogate(text.charCodeAt(i + 1)) ? 2 : 1;
      count++;
      continue;
    }
    const per = kind == KIND_LETTER ? LETTERS_PER_TOKEN : DIGITS_PER_TOKEN;
    let end = i + 1;
    while (end < to && kindOf(text.charCodeAt(end)) == kind) end++;
    count += (end - i + per - 1) / per;
    i = end;
  }
  return count;
}
