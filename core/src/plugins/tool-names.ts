/**
 * Function names for plugin tools, as chat requests will offer them to a model: OpenAI's function
 * names must match `^[a-zA-Z0-9_-]{1,64}$`, and two plugins may each have a tool called `search`.
 */
import { createHash } from "node:crypto";

/** OpenAI's rule for a function name. */
export const FUNCTION_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

const MAX = 64;
const SEPARATOR = "__";

function shortHash(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 8);
}

function safe(text: string): string {
  return text.replace(/^@/, "").replace(/[^a-zA-Z0-9_-]/g, "_");
}

/**
 * The function name of `tool` of `plugin`: `PLUGIN__TOOL` with anything outside `[a-zA-Z0-9_-]`
 * made `_` (`@acme/web.search` → `acme_web_search__search`). A name that would pass 64 characters,
 * or that `taken` already holds (two plugin names that differ only in such characters), is cut and
 * given a hash of the exact plugin and tool names, so it stays unique and stable.
 *
 * @example toolFunctionName("web-search", "search") // "web-search__search"
 */
export function toolFunctionName(plugin: string, tool: string, taken: ReadonlySet<string> = new Set()): string {
  const plain = `${safe(plugin)}${SEPARATOR}${safe(tool)}`;
  if (plain.length <= MAX && !taken.has(plain)) return plain;
  const suffix = `_${shortHash(`${plugin}\n${tool}`)}`;
  return `${plain.slice(0, MAX - suffix.length)}${suffix}`;
}

/**
 * Function names for a whole set of tools, unique among themselves, assigned in a fixed (sorted)
 * order so the same set always gives the same names.
 */
export function assignFunctionNames(tools: readonly { plugin: string; tool: string }[]): Map<string, string> {
  const key = (t: { plugin: string; tool: string }) => `${t.plugin}\n${t.tool}`;
  const sorted = [...tools].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  const taken = new Set<string>();
  const names = new Map<string, string>();
  for (const t of sorted) {
    const name = toolFunctionName(t.plugin, t.tool, taken);
    taken.add(name);
    names.set(key(t), name);
  }
  return names;
}
