/**
 * `chunk`: a text cut into pieces of at most `size` characters or approximate tokens, each sharing
 * `overlap` with the one before, for embedding or for prompts that must fit a context.
 */
import { isSpace, MAX_OUTPUT_CHARS, splitsPair, tooMuchOutput } from "./common";
import { countTokens, tokenSpans } from "./tokens";

/** One chunk: the input's `[start, end)` (UTF-16 offsets, as JavaScript counts). */
export class Chunk {
  start: i32;
  end: i32;
  tokens: i32;

  constructor(start: i32, end: i32, tokens: i32) {
    this.start = start;
    this.end = end;
    this.tokens = tokens;
  }
}

/** The chunks of a text, or why there are none. */
export class ChunkResult {
  chunks: Array<Chunk> = new Array<Chunk>();
  error: string | null = null;
  chars: i32 = 0;

  /** Adds `[start, end)`; false (the error set) past `maxChunks` or {@link MAX_OUTPUT_CHARS}. */
  add(start: i32, end: i32, tokens: i32, maxChunks: i32): bool {
    if (this.chunks.length >= maxChunks) {
      this.error = "the text makes more than " + maxChunks.toString() + " chunks; raise size or max_chunks (at most 100000), or lower overlap";
      return false;
    }
    if (end - start > MAX_OUTPUT_CHARS - this.chars) {
      this.error = tooMuchOutput("the chunks together") + "; lower overlap or chunk a shorter text";
      return false;
    }
    this.chars += end - start;
    this.chunks.push(new Chunk(start, end, tokens));
    return true;
  }
}

/** Whether `i` is inside a word: text on both sides of it. */
function insideWord(text: string, i: i32): bool {
  return i > 0 && i < text.length && !isSpace(text.charCodeAt(i - 1)) && !isSpace(text.charCodeAt(i));
}

/**
 * Chunks of at most `size` characters, each next one starting `overlap` characters before the
 * previous one ended. With `words`, a cut that would split a word moves back to the word's start
 * (when that keeps the chunk at least half of `size`), an overlap that would start inside a word
 * moves forward to the next word (when one starts before the previous chunk's end, else back to the
 * word's start), and no chunk starts with white space. A surrogate pair is never split.
 */
export function chunkByCharacters(text: string, size: i32, overlap: i32, words: bool, maxChunks: i32): ChunkResult {
  const result = new ChunkResult();
  const n = text.length;
  let start = 0;
  while (start < n) {
    let end = min(start + size, n);
    if (end < n && words && insideWord(text, end)) {
      let j = end - 1;
      const floor = start + size / 2;
      while (j > floor && !isSpace(text.charCodeAt(j - 1))) j--;
      if (j > floor) end = j;
    }
    if (splitsPair(text, end) && end - 1 > start) end--;
    if (!result.add(start, end, countTokens(text, start, end), maxChunks)) return result;
    if (end >= n) break;
    let next = max(end - overlap, start + 1);
    if (words && insideWord(text, next)) {
      // On to the next word if one starts in the overlap, else back to this word's start.
      let j = next;
      while (j < end && !isSpace(text.charCodeAt(j))) j++;
      while (j < end && isSpace(text.charCodeAt(j))) j++;
      if (j < end) next = j;
      else {
        j = next;
        while (j > start + 1 && !isSpace(text.charCodeAt(j - 1))) j--;
        if (isSpace(text.charCodeAt(j - 1))) next = j;
      }
    }
    // White space between chunks belongs to neither: a chunk starts on text.
    while (words && next < n && isSpace(text.charCodeAt(next))) next++;
    if (splitsPair(text, next)) next++;
    start = next;
  }
  return result;
}

/**
 * Chunks of at most `size` approximate tokens (see tokens.ts), each next one starting `overlap`
 * tokens before the previous one ended. Chunks start and end on tokens, never on white space; a
 * cut that would split a long word moves back to the word's start (when that keeps the chunk at
 * least half of `size`), and an overlap that would start inside one moves forward to the next word
 * (when one starts before the previous chunk's end, else back to the word's start).
 */
export function chunkByTokens(text: string, size: i32, overlap: i32, maxChunks: i32): ChunkResult {
  const result = new ChunkResult();
  const spans = tokenSpans(text);
  const count = spans.count;
  const joined = spans.joined;
  let a = 0;
  while (a < count) {
    let b = min(a + size, count);
    if (b < count && joined[b]) {
      let j = b;
      const floor = a + size / 2;
      while (j > floor && joined[j]) j--;
      if (j > floor) b = j;
    }
    if (!result.add(spans.starts[a], spans.ends[b - 1], b - a, maxChunks)) return result;
    if (b >= count) break;
    let next = max(b - overlap, a + 1);
    if (joined[next]) {
      // Inside a long word: on to the next word if one starts in the overlap, else back to this word's start.
      let j = next;
      while (j < b && joined[j]) j++;
      if (j < b) next = j;
      else {
        j = next;
        while (j > a + 1 && joined[j]) j--;
        if (!joined[j]) next = j;
      }
    }
    a = next;
  }
  return result;
}
