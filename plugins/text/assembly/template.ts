/**
 * `template` and `join`: text built from JSON values. A value becomes text as {@link valueText}
 * says (a string as it is, null as nothing, anything else as JSON); the result is refused past
 * MAX_OUTPUT_CHARS instead of growing without bound.
 */
import { JsonValue } from "@shimmy/plugin-sdk/assembly";
import { BoundedText, LookupBudget, lookupPath, MAX_LOOKUP_WORK, MAX_PATH_SEGMENTS, tooMuchOutput, valueText } from "./common";

/** Longest inside of a placeholder: `{{` … `}}` around more is not one. */
const MAX_PLACEHOLDER: i32 = 256;

function tooMuchLookup(): string {
  return "looking up the values took more than " + MAX_LOOKUP_WORK.toString() + " steps: the objects are too large for this many lookups";
}

/** A built text, or why there is none. */
export class TextResult {
  text: string = "";
  error: string | null = null;
  /** Placeholders left without a value (`missing: "keep"` or `"empty"`). */
  missing: Array<string> = new Array<string>();
  /** Items joined (`join`). */
  count: i32 = 0;
}

/** Whether `c` may appear in a placeholder's path: letters, digits, `_`, `-` and `.`. */
function isPathChar(c: i32): bool {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c == 0x5f || c == 0x2d || c == 0x2e;
}

/** The path of a placeholder's inside (`{{ user.name }}` → `user.name`), or null when it is not one. */
function placeholderPath(inner: string): string | null {
  let a = 0;
  let b = inner.length;
  while (a < b && inner.charCodeAt(a) == 0x20) a++;
  while (b > a && inner.charCodeAt(b - 1) == 0x20) b--;
  if (a == b) return null;
  const first = inner.charCodeAt(a);
  const last = inner.charCodeAt(b - 1);
  if (first == 0x2e || last == 0x2e) return null;
  let dots = 0;
  for (let i = a; i < b; i++) {
    const c = inner.charCodeAt(i);
    if (!isPathChar(c)) return null;
    if (c == 0x2e) {
      if (inner.charCodeAt(i - 1) == 0x2e) return null;
      dots++;
    }
  }
  if (dots >= MAX_PATH_SEGMENTS) return null;
  return inner.substring(a, b);
}

/**
 * Fills every `{{ path }}` of `template` from `values`: `path` is a name or a dotted path
 * (`user.name`, `items.0`). A `{{` … `}}` whose inside is not a path is left as written. A path
 * with no value is an error (`missing` "error"), nothing ("empty"), or left as written ("keep").
 */
export function fillTemplate(template: string, values: JsonValue, missing: string): TextResult {
  const result = new TextResult();
  const out = new BoundedText();
  // The text of each path once looked up: a template may name one value many times.
  const cache = new Map<string, string>();
  const budget = new LookupBudget();
  const n = template.length;
  let i = 0;
  let copied = 0; // template[copied, i) is not yet in out
  let close = -1; // the first "}}" at or after the last `{{` + 2: reused while still ahead, so the scan stays linear
  while (i < n) {
    const open = template.indexOf("{{", i);
    if (open < 0) break;
    if (close < open + 2) close = template.indexOf("}}", open + 2);
    if (close < 0) break;
    // `{{{name}}}`: the placeholder is the innermost `{{`.
    let start = open;
    while (start + 2 < close && template.charCodeAt(start + 2) == 0x7b) start++;
    const found: string | null = close - start - 2 > MAX_PLACEHOLDER ? null : placeholderPath(template.substring(start + 2, close));
    if (found === null) {
      i = start + 2;
      continue;
    }
    const path = found!;
    let text: string | null = null;
    if (cache.has(path)) text = cache.get(path);
    else {
      const value = lookupPath(values, path, budget);
      if (budget.exhausted) {
        result.error = tooMuchLookup();
        return result;
      }
      if (value !== null) {
        text = valueText(value);
        cache.set(path, text);
      }
    }
    if (text === null) {
      if (missing == "error") {
        result.error = "the template names {{" + path + "}}, which values does not have";
        return result;
      }
      if (!result.missing.includes(path)) result.missing.push(path);
      if (missing == "keep") {
        i = close + 2;
        continue;
      }
      text = "";
    }
    if (!out.add(template.substring(copied, start)) || !out.add(text)) {
      result.error = tooMuchOutput("the filled template");
      return result;
    }
    i = close + 2;
    copied = i;
  }
  if (!out.add(template.substring(copied))) {
    result.error = tooMuchOutput("the filled template");
    return result;
  }
  result.text = out.toString();
  return result;
}

/**
 * Joins `items` with `separator`, each as text (with `field`, its member at that dotted path:
 * items without it are an error), wrapping the whole in `prefix` and `suffix`. With `skipEmpty`,
 * items whose text is empty are left out.
 */
export function joinItems(items: JsonValue, separator: string, field: string | null, prefix: string, suffix: string, skipEmpty: bool): TextResult {
  const result = new TextResult();
  const out = new BoundedText();
  const budget = new LookupBudget();
  let joined = 0;
  let ok = out.add(prefix);
  for (let k = 0; ok && k < items.length; k++) {
    let item: JsonValue | null = items.at(k);
    if (field !== null) {
      item = lookupPath(item!, field, budget);
      if (budget.exhausted) {
        result.error = tooMuchLookup();
        return result;
      }
      if (item === null) {
        result.error = "items[" + k.toString() + "] has no " + field;
        return result;
      }
    }
    const text = valueText(item!);
    if (skipEmpty && text.length == 0) continue;
    if (joined > 0) ok = out.add(separator);
    ok = ok && out.add(text);
    joined++;
  }
  ok = ok && out.add(suffix);
  if (!ok) {
    result.error = tooMuchOutput("the joined text");
    return result;
  }
  result.text = out.toString();
  result.count = joined;
  return result;
}
