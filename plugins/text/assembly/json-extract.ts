/**
 * `json_extract`: the first JSON object or array in a model's answer, which often wraps it in prose
 * or in a Markdown code fence (three backticks, `json` or no language). Fenced blocks are tried
 * first, in order, then the whole text. Each candidate starts at a `{` or `[` and ends at the
 * bracket that balances it (outside strings); it counts only if it parses as JSON, strictly: no
 * comments, trailing commas or single quotes.
 */
import { JsonValue, parseJson } from "@shimmy/plugin-sdk/assembly";

/** Most candidates tried: each costs a scan of the rest of the text. */
export const MAX_CANDIDATES: i32 = 64;
/** Most fenced blocks looked at. */
const MAX_FENCES: i32 = 16;

/** What was found: `value` is null when nothing was. */
export class Extracted {
  value: JsonValue | null = null;
  start: i32 = -1;
  end: i32 = -1;
  tried: i32 = 0;
}

/**
 * The end (exclusive) of the JSON value that opens at `text[from]` (`{` or `[`), by bracket
 * balance outside strings, within `text[from, to)`; -1 when it never closes.
 */
function balancedEnd(text: string, from: i32, to: i32): i32 {
  let depth = 0;
  let inString = false;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c == 0x5c) i++; // skip the escaped character
      else if (c == 0x22) inString = false;
    } else if (c == 0x22) inString = true;
    else if (c == 0x7b || c == 0x5b) depth++;
    else if (c == 0x7d || c == 0x5d) {
      depth--;
      if (depth == 0) return i + 1;
    }
  }
  return -1;
}

/** Tries the candidates of `text[from, to)` in order; true when one parsed (then `found` holds it). */
function scan(text: string, from: i32, to: i32, wantObject: bool, wantArray: bool, found: Extracted): bool {
  for (let i = from; i < to && found.tried < MAX_CANDIDATES; i++) {
    const c = text.charCodeAt(i);
    if (!((c == 0x7b && wantObject) || (c == 0x5b && wantArray))) continue;
    found.tried++;
    const end = balancedEnd(text, i, to);
    if (end < 0) continue; // a later bracket may still open a value that closes: `{ {"a": 1}`
    const parsed = parseJson(text.substring(i, end));
    if (parsed.value !== null) {
      found.value = parsed.value;
      found.start = i;
      found.end = end;
      return true;
    }
  }
  return false;
}

/** The first JSON value (object or array, as `accept` says: "object", "array" or "any") in `text`. */
export function extractJson(text: string, accept: string): Extracted {
  const found = new Extracted();
  const wantObject = accept != "array";
  const wantArray = accept != "object";
  // Fenced blocks: from a line's ``` (and the rest of that line, its language) to the next ```.
  let at = 0;
  for (let fences = 0; fences < MAX_FENCES; fences++) {
    const open = text.indexOf("```", at);
    if (open < 0) break;
    let bodyStart = text.indexOf("\n", open + 3);
    if (bodyStart < 0) break;
    bodyStart++;
    const close = text.indexOf("```", bodyStart);
    if (close < 0) break;
    if (scan(text, bodyStart, close, wantObject, wantArray, found)) return found;
    at = close + 3;
  }
  scan(text, 0, text.length, wantObject, wantArray, found);
  return found;
}
