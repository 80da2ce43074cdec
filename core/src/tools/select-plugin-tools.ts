/**
 * Which plugin tools a chat request gets: the plugins it names (`"plugins": [...]` or `"all"`),
 * else the model's entry of `defaultPlugins` (else its `"*"` entry). A named plugin that is not
 * installed is a 400; one that cannot run is a 409. A default plugin that is missing or cannot run
 * is skipped, so a default list may name plugins not installed yet. Client tools win a name clash.
 */
import type { DefaultPlugins } from "../config/default-plugins.js";
import { ShimmyError } from "../errors.js";
import { prepareJsonSchema, type PreparedSchema } from "../openai/json-schema/prepare-schema.js";
import type { ToolSpec } from "../engine/types.js";
import type { PluginToolSource, PluginToolView, PluginView } from "./plugin-tool-source.js";

export type { DefaultPlugins } from "../config/default-plugins.js";

/** A plugin tool offered to the model in one request. */
export interface OfferedPluginTool {
  /** The name the model calls it by. */
  functionName: string;
  plugin: string;
  /** Its name in the plugin's manifest. */
  tool: string;
  /** What the engine offers: the grammar-ready schema of its inputSchema. */
  spec: ToolSpec;
  inputSchema: Record<string, unknown>;
}

/** What a request asked for, read from its body. */
export interface PluginSelection {
  /** The request's `plugins`; undefined when it named none (defaults apply). */
  requested?: readonly string[] | "all";
  model: string;
  /** Names of the client's own tools, which win a clash. */
  clientToolNames: ReadonlySet<string>;
}

// A plugin's schemas are the same objects until it reloads: prepare each once.
const preparedSchemas = new WeakMap<object, PreparedSchema | null>();

function grammarSchemaOf(tool: PluginToolView, plugin: string): object | null {
  let prepared = preparedSchemas.get(tool.inputSchema);
  if (prepared === undefined) {
    try {
      prepared = prepareJsonSchema(tool.inputSchema, { strict: false, param: `${plugin}.${tool.name}.inputSchema` });
    } catch {
      // A schema no grammar can follow (the manifest check lets few through): the tool is not offered.
      prepared = null;
    }
    preparedSchemas.set(tool.inputSchema, prepared);
  }
  return prepared?.grammarSchema ?? null;
}

/** The plugin names a request gets: its own list, else the model's default, else the `"*"` default. */
function namesFor(selection: PluginSelection, defaults: DefaultPlugins, installed: readonly PluginView[]): { names: string[]; explicit: boolean } {
  const { requested } = selection;
  if (requested === "all") return { names: installed.filter((p) => p.status === "ready").map((p) => p.name), explicit: false };
  if (requested !== undefined) return { names: [...new Set(requested)], explicit: true };
  return { names: [...(defaults[selection.model] ?? defaults["*"] ?? [])], explicit: false };
}

/**
 * The plugin tools offered to one request.
 * @throws ShimmyError `invalid_parameter` (400, param `plugins`) for a plugin that is not installed;
 *   `plugin_unavailable` (409) for a named one that is disabled or cannot run.
 */
export function selectPluginTools(source: PluginToolSource, selection: PluginSelection, defaults: DefaultPlugins): OfferedPluginTool[] {
  const installed = source.list();
  const { names, explicit } = namesFor(selection, defaults, installed);
  const offered: OfferedPluginTool[] = [];
  names.forEach((name, index) => {
    const plugin = installed.find((p) => p.name === name);
    if (!plugin) {
      if (!explicit) return;
      const known = installed.map((p) => p.name);
      throw new ShimmyError(
        "invalid_parameter",
        `plugins.${index}: no plugin named "${name}" is installed (installed: ${known.length > 0 ? known.join(", ") : "none"}; shimmy plugin add NAME installs one)`,
        { param: "plugins" },
      );
    }
    if (plugin.status !== "ready") {
      if (!explicit) return;
      throw new ShimmyError("plugin_unavailable", `plugins.${index}: the plugin "${name}" cannot run now (${plugin.status}); GET /api/plugins says why`, { param: "plugins" });
    }
    for (const tool of plugin.tools) {
      if (selection.clientToolNames.has(tool.function_name)) continue;
      const parameters = grammarSchemaOf(tool, plugin.name);
      if (parameters === null) continue;
      offered.push({
        functionName: tool.function_name,
        plugin: plugin.name,
        tool: tool.name,
        inputSchema: tool.inputSchema,
        spec: { name: tool.function_name, ...(tool.description ? { description: tool.description } : {}), parameters },
      });
    }
  });
  return offered;
}
