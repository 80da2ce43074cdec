/**
 * rules-router: picks a route's model by the first configured rule that matches the request.
 *
 * Input (from the host): {route, request: {kind, messages, last_user_text, tokens, tools, json,
 * images, metadata}, candidates: [{id, tags, available, …}]}. Output: {model, reason}.
 * Regular expressions run on the SDK's engine (no backtracking, so no pattern can hang a request).
 * The rules are parsed, and each pattern compiled, once per instance and kept: settings change only
 * with a reload, which starts new instances, and parsing them per call was a third of its time.
 */
import { configJson, config, fail, JsonValue, ok, pickCandidate, routerInput } from "@shimmy/plugin-sdk/assembly";
import { compileRegex, Compiled } from "@shimmy/plugin-sdk/assembly/regex";
import { Vm } from "@shimmy/plugin-sdk/assembly/regex-vm";

/** The `rules` setting, parsed on the first call and kept (null until then, or when unset). */
let rulesCache: JsonValue | null = null;
let rulesRead = false;

function configuredRules(): JsonValue | null {
  if (!rulesRead) {
    rulesCache = configJson("rules");
    rulesRead = true;
  }
  return rulesCache;
}

/** Compiled patterns by flags and pattern, kept across calls of this instance. */
const compiledCache = new Map<string, Compiled>();

function compiled(pattern: string, flags: string): Compiled {
  const key = flags + "/" + pattern;
  if (compiledCache.has(key)) return compiledCache.get(key);
  const result = compileRegex(pattern, flags);
  compiledCache.set(key, result);
  return result;
}

/** Whether `word` is in `text` as a whole word, ASCII case-insensitively (both already lower-cased). */
function hasWord(text: string, word: string): bool {
  let from = 0;
  while (true) {
    const at = text.indexOf(word, from);
    if (at < 0) return false;
    const end = at + word.length;
    const before = at == 0 || !isWordChar(text.charCodeAt(at - 1));
    const after = end >= text.length || !isWordChar(text.charCodeAt(end));
    if (before && after) return true;
    from = at + 1;
  }
}

function isWordChar(c: i32): bool {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c == 0x5f || c >= 0x80;
}

/** The request's yes/no features a rule may require. */
const REQUEST_FLAGS: string[] = ["tools", "json", "images"];

/** Why the rule does not match ("" when it does), or an error prefixed with "!". */
function mismatch(rule: JsonValue, request: JsonValue): string {
  const tokens = request.getInteger("tokens", 0);
  if (rule.has("min_tokens") && tokens < rule.getInteger("min_tokens", 0)) return "fewer tokens";
  if (rule.has("max_tokens") && tokens > rule.getInteger("max_tokens", 0)) return "more tokens";
  for (let i = 0; i < REQUEST_FLAGS.length; i++) {
    const key = REQUEST_FLAGS[i];
    if (rule.has(key) && rule.getBool(key, false) != request.getBool(key, false)) return key;
  }
  const wanted = rule.getObject("metadata");
  if (wanted !== null) {
    const metadata = request.getObject("metadata");
    for (let i = 0; i < wanted.keys.length; i++) {
      const have = metadata !== null ? metadata.getString(wanted.keys[i]) : null;
      if (have === null || !wanted.values[i].isString() || have != wanted.values[i].str) return "metadata";
    }
  }
  let text = request.getString("last_user_text");
  if (text === null) text = "";
  if (rule.getString("in") == "all") {
    const messages = request.getArray("messages");
    let all = "";
    if (messages !== null) {
      for (let i = 0; i < messages.length; i++) {
        const part = messages.at(i)!.getString("text");
        all += (i > 0 ? "\n" : "") + (part !== null ? part! : "");
      }
    }
    text = all;
  }
  const keywords = rule.getArray("keywords");
  if (keywords !== null) {
    const lower = text!.toLowerCase();
    let found = false;
    for (let i = 0; i < keywords.length && !found; i++) if (keywords.at(i)!.isString() && hasWord(lower, keywords.at(i)!.str.toLowerCase())) found = true;
    if (!found) return "keywords";
  }
  const pattern = rule.getString("regex");
  if (pattern !== null) {
    const flags = rule.getString("flags");
    const regex = compiled(pattern, flags === null ? "" : flags!);
    if (regex.program === null) return "!regex " + pattern + ": " + regex.error;
    const vm = new Vm(regex.program!, text!);
    const found = vm.search(0);
    if (vm.error !== null) return "!regex " + pattern + ": " + vm.error!;
    if (!found) return "regex";
  }
  return "";
}

export function route(): i32 {
  const input = routerInput();
  if (input.error !== null) return fail(input.error!);
  const request = input.request;
  const candidates = input.candidates;
  const rules = configuredRules();
  if (rules !== null && rules.isArray()) {
    for (let i = 0; i < rules.length; i++) {
      const rule = rules.at(i)!;
      if (!rule.isObject()) continue;
      const why = mismatch(rule, request);
      if (why.startsWith("!")) return fail("rule " + (i + 1).toString() + ": " + why.substring(1));
      if (why != "") continue;
      const model = pickCandidate(candidates, rule.getString("model"), rule.getString("tag"));
      if (model == "") continue;
      const name = rule.getString("name");
      const label = name !== null ? "rule " + name! : "rule " + (i + 1).toString();
      return ok(JsonValue.makeObject().setString("model", model).setString("reason", label + " matched"));
    }
  }
  const fallback = config("default");
  if (fallback !== null) {
    const model = pickCandidate(candidates, fallback, null);
    if (model != "") return ok(JsonValue.makeObject().setString("model", model).setString("reason", "no rule matched: default"));
  }
  const first = pickCandidate(candidates, null, null);
  if (first != "") return ok(JsonValue.makeObject().setString("model", first).setString("reason", "no rule matched: first candidate"));
  // None available: the host's fallback tries them all in order anyway.
  const c = candidates.at(0);
  if (c === null) return fail("the route has no candidates");
  const id = c!.getString("id");
  return ok(JsonValue.makeObject().setString("model", id !== null ? id! : "").setString("reason", "no candidate available"));
}
