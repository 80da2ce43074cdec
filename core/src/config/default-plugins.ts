/**
 * `defaultPlugins` of `config.json`: which installed plugins' tools the server runs for a chat
 * request that names none in `plugins`, by model id, with `"*"` for every other model. A model's
 * own entry replaces the `"*"` one (it does not add to it), so `[]` turns plugins off for it.
 *
 * @example
 * { "defaultPlugins": { "*": ["time", "calculator"], "qwen2.5-coder:1.5b": [] } }
 */

/** Model id (or `"*"`) to the names of the plugins its requests get. */
export type DefaultPlugins = Readonly<Record<string, readonly string[]>>;

/** The JSON Schema of the `defaultPlugins` key. */
export const defaultPluginsConfigSchema = {
  description:
    "Plugins whose tools chat requests get when they name none in `plugins`: model id (or \"*\" for every other model) to plugin names, e.g. {\"*\": [\"time\", \"calculator\"]}. A model's own entry replaces the \"*\" one; plugins not installed are skipped. Default: none.",
  type: "object",
  additionalProperties: { type: "array", uniqueItems: true, items: { type: "string", minLength: 1 } },
} as const;

/** `defaultPlugins` of a validated config file; none when absent. */
export function defaultPluginsOf(file: Readonly<Record<string, unknown>>): DefaultPlugins {
  return (file.defaultPlugins ?? {}) as DefaultPlugins;
}
