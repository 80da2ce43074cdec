/**
 * How deeply a request may nest the JSON that Shimmy walks: JSON Schemas (ajv, the keyword audit,
 * the translation, node-llama-cpp's grammar builder) and the JSON of tool calls and tool results
 * (node-llama-cpp reads it when it renders the chat history). Each of those recurses, so a few
 * thousand levels overflow the stack; these checks are iterative and run before any of them.
 */

/**
 * The deepest nesting of objects and arrays accepted, the outermost counting as 1. A schema level
 * takes one or two (`{"items": {...}}`, `{"properties": {"a": {...}}}`), so this leaves room for
 * schemas far deeper than any real one.
 */
export const MAX_JSON_DEPTH = 100;

/** Whether a parsed JSON value nests objects and arrays deeper than `max`, measured without recursion. */
export function exceedsJsonDepth(value: unknown, max = MAX_JSON_DEPTH): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (typeof node !== "object" || node === null) continue;
    if (depth > max) return true;
    for (const child of Array.isArray(node) ? node : Object.values(node)) {
      if (typeof child === "object" && child !== null) stack.push([child, depth + 1]);
    }
  }
  return false;
}

/**
 * Whether JSON text nests objects and arrays deeper than `max`, read in one pass without parsing
 * it; brackets inside strings do not count. Text that is not JSON may count too deep: callers that
 * accept plain text confirm with `JSON.parse` (which does not recurse).
 */
export function jsonTextExceedsDepth(text: string, max = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (inString) {
      if (char === "\\") i++;
      else if (char === '"') inString = false;
    } else if (char === '"') {
      inString = true;
    } else if (char === "[" || char === "{") {
      if (++depth > max) return true;
    } else if (char === "]" || char === "}") {
      depth--;
    }
  }
  return false;
}
