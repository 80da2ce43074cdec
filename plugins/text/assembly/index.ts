/**
 * text: workflow steps for text, all pure (no permissions): split, chunk, template, regex_extract,
 * json_extract and join. Every loop is bounded by the input's size (capped by the step's input
 * schema) or by a stated budget, and every output by MAX_OUTPUT_CHARS and MAX_JSON_CHARS; the
 * README states each step's caps. Outputs are written as JSON text directly (JsonOut), not as a
 * JsonValue tree, so a long list fits the plugin's memory.
 */
import { fail, inputJson } from "@shimmy/plugin-sdk/assembly";
import { chunkByCharacters, chunkByTokens, ChunkResult } from "./chunk";
import { Args, BoundedText, JsonOut, quote, tooMuchJson, tooMuchOutput } from "./common";
import { extractJson } from "./json-extract";
import { compileRegex } from "@shimmy/plugin-sdk/assembly/regex";
import { Vm } from "@shimmy/plugin-sdk/assembly/regex-vm";
import { SPLIT_MODES, splitText } from "./split";
import { fillTemplate, joinItems } from "./template";
import { countTokens } from "./tokens";

/** Most pieces or chunks by default, and at most. */
const DEFAULT_MAX_PIECES: i32 = 10_000;
const MAX_PIECES: i32 = 100_000;
/** Largest chunk: 100,000 characters or 50,000 tokens. */
const MAX_CHUNK_CHARS: i32 = 100_000;
const MAX_CHUNK_TOKENS: i32 = 50_000;
/** Most matches by default, and at most. */
const DEFAULT_MAX_MATCHES: i32 = 1_000;
const MAX_MATCHES: i32 = 10_000;

/** The step's input as an object, or null. */
function readArgs(): Args | null {
  const input = inputJson().value;
  if (input === null || !input.isObject()) return null;
  return new Args(input);
}

export function split(): i32 {
  const args = readArgs();
  if (args === null) return fail("input must be a JSON object");
  const text = args.text("text");
  const separator = args.str("separator", "");
  const by = args.choice("by", separator.length > 0 ? "separator" : "lines", SPLIT_MODES);
  const trim = args.bool("trim", false);
  const skipEmpty = args.bool("skip_empty", false);
  const maxPieces = args.int("max_pieces", DEFAULT_MAX_PIECES, 1, MAX_PIECES);
  if (args.error === null && by == "separator" && separator.length == 0) args.refuse('"separator" must be given, and not empty, to split by separator');
  if (args.error !== null) return fail(args.error!);
  const result = splitText(text, by, separator, trim, skipEmpty, maxPieces);
  if (result.error !== null) return fail(result.error!);
  const out = new JsonOut();
  let fits = out.add('{"pieces":[');
  for (let i = 0; fits && i < result.pieces.length; i++) fits = out.add((i > 0 ? "," : "") + quote(result.pieces[i]));
  if (!(fits && out.add('],"count":' + result.pieces.length.toString() + "}"))) return fail(tooMuchJson());
  return out.finish();
}

export function chunk(): i32 {
  const args = readArgs();
  if (args === null) return fail("input must be a JSON object");
  const text = args.text("text");
  const unit = args.choice("unit", "characters", ["characters", "tokens"]);
  const tokens = unit == "tokens";
  const size = args.int("size", 0, 1, tokens ? MAX_CHUNK_TOKENS : MAX_CHUNK_CHARS);
  const overlap = args.int("overlap", 0, 0, tokens ? MAX_CHUNK_TOKENS : MAX_CHUNK_CHARS);
  const words = args.choice("boundary", "words", ["words", "none"]) == "words";
  const maxChunks = args.int("max_chunks", DEFAULT_MAX_PIECES, 1, MAX_PIECES);
  if (args.error === null && args.input.get("size") === null) args.refuse('"size" is required');
  if (args.error === null && overlap >= size) args.refuse('"overlap" must be smaller than "size"');
  if (args.error !== null) return fail(args.error!);
  const result: ChunkResult = tokens ? chunkByTokens(text, size, overlap, maxChunks) : chunkByCharacters(text, size, overlap, words, maxChunks);
  if (result.error !== null) return fail(result.error!);
  const out = new JsonOut();
  let fits = out.add('{"chunks":[');
  for (let i = 0; fits && i < result.chunks.length; i++) {
    const c = result.chunks[i];
    fits = out.add(
      (i > 0 ? "," : "") + '{"index":' + i.toString() + ',"text":' + quote(text.substring(c.start, c.end)) + ',"start":' + c.start.toString() + ',"end":' + c.end.toString() + ',"tokens":' + c.tokens.toString() + "}",
    );
  }
  if (!(fits && out.add('],"count":' + result.chunks.length.toString() + ',"tokens":' + countTokens(text, 0, text.length).toString() + "}"))) return fail(tooMuchJson());
  return out.finish();
}

/** A JSON array of strings. */
function stringList(items: Array<string>): string {
  const parts = new Array<string>(items.length);
  for (let i = 0; i < items.length; i++) parts[i] = quote(items[i]);
  return "[" + parts.join(",") + "]";
}

export function template(): i32 {
  const args = readArgs();
  if (args === null) return fail("input must be a JSON object");
  const text = args.text("template");
  const missing = args.choice("missing", "error", ["error", "empty", "keep"]);
  const values = args.input.get("values");
  if (values === null || !values.isObject()) args.refuse('"values" must be an object');
  if (args.error !== null) return fail(args.error!);
  const result = fillTemplate(text, values!, missing);
  if (result.error !== null) return fail(result.error!);
  const out = new JsonOut();
  if (!out.add('{"text":' + quote(result.text) + ',"missing":' + stringList(result.missing) + "}")) return fail(tooMuchJson());
  return out.finish();
}

export function regex_extract(): i32 {
  const args = readArgs();
  if (args === null) return fail("input must be a JSON object");
  const text = args.text("text");
  const pattern = args.text("pattern");
  const flags = args.str("flags", "");
  const all = args.bool("all", true);
  const maxMatches = args.int("max_matches", DEFAULT_MAX_MATCHES, 1, MAX_MATCHES);
  if (args.error !== null) return fail(args.error!);
  const compiled = compileRegex(pattern, flags);
  if (compiled.program === null) return fail("pattern: " + compiled.error);
  const program = compiled.program!;
  const hasNames = program.hasNames;
  const vm = new Vm(program, text);
  const out = new JsonOut();
  // The matched strings, counted against MAX_OUTPUT_CHARS (only the count is kept).
  const size = new BoundedText();
  let count = 0;
  let truncated = false;
  let pos = 0;
  out.add('{"matches":[');
  while (pos <= text.length) {
    const found = vm.search(pos);
    if (vm.error !== null) return fail(vm.error!);
    if (!found) break;
    if (count >= maxMatches) {
      truncated = true; // there is one more match than max_matches
      break;
    }
    const start = vm.matchStart;
    const end = vm.matchEnd;
    const whole = text.substring(start, end);
    if (!size.add(whole)) return fail(tooMuchOutput("the matches together"));
    let groups = "";
    let named = "";
    if (program.groups > 1) {
      const caps = vm.captures();
      if (vm.error !== null) return fail(vm.error!);
      const parts = new Array<string>();
      const names = new Array<string>();
      for (let g = 1; g < program.groups; g++) {
        const a = caps![2 * g];
        const b = caps![2 * g + 1];
        let value = "null";
        if (a >= 0 && b >= a) {
          const captured = text.substring(a, b);
          if (!size.add(captured)) return fail(tooMuchOutput("the matches together"));
          value = quote(captured);
        }
        parts.push(value);
        if (program.names[g].length > 0) names.push(quote(program.names[g]) + ":" + value);
      }
      groups = parts.join(",");
      named = names.join(",");
    }
    const match = '{"text":' + quote(whole) + ',"start":' + start.toString() + ',"end":' + end.toString() + ',"groups":[' + groups + "]" + (hasNames ? ',"named":{' + named + "}" : "") + "}";
    if (!out.add((count > 0 ? "," : "") + match)) return fail(tooMuchJson());
    count++;
    if (!all) break;
    // After an empty match, move on one character (a surrogate pair whole), as JavaScript's matchAll does.
    if (end > start) pos = end;
    else {
      const c = end < text.length ? text.charCodeAt(end) : 0;
      const d = end + 1 < text.length ? text.charCodeAt(end + 1) : 0;
      pos = end + (c >= 0xd800 && c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff ? 2 : 1);
    }
  }
  if (!out.add('],"count":' + count.toString() + ',"truncated":' + (truncated ? "true" : "false") + "}")) return fail(tooMuchJson());
  return out.finish();
}

export function json_extract(): i32 {
  const args = readArgs();
  if (args === null) return fail("input must be a JSON object");
  const text = args.text("text");
  const accept = args.choice("accept", "any", ["any", "object", "array"]);
  const required = args.bool("required", false);
  if (args.error !== null) return fail(args.error!);
  const found = extractJson(text, accept);
  const out = new JsonOut();
  if (found.value === null) {
    if (required) {
      const what = accept == "any" ? "JSON object or array" : "JSON " + accept;
      return fail("the text holds no " + what + " (" + found.tried.toString() + " candidates tried)");
    }
    out.add('{"found":false}');
    return out.finish();
  }
  if (!out.add('{"found":true,"value":' + found.value!.stringify() + ',"start":' + found.start.toString() + ',"end":' + found.end.toString() + "}")) return fail(tooMuchJson());
  return out.finish();
}

export function join(): i32 {
  const args = readArgs();
  if (args === null) return fail("input must be a JSON object");
  const items = args.input.get("items");
  if (items === null || !items.isArray()) args.refuse('"items" must be an array');
  const separator = args.str("separator", "\n");
  const prefix = args.str("prefix", "");
  const suffix = args.str("suffix", "");
  const field = args.str("field", "");
  const skipEmpty = args.bool("skip_empty", false);
  if (args.error !== null) return fail(args.error!);
  const result = joinItems(items!, separator, field.length > 0 ? field : null, prefix, suffix, skipEmpty);
  if (result.error !== null) return fail(result.error!);
  const out = new JsonOut();
  if (!out.add('{"text":' + quote(result.text) + ',"count":' + result.count.toString() + "}")) return fail(tooMuchJson());
  return out.finish();
}
