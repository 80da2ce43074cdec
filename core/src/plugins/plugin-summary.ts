/**
 * How the loaded plugins are shown: each plugin as `GET /api/plugins` lists it, and the plugins'
 * part of `/health`. Pure: they read a {@link LoadedPlugins} snapshot and change nothing.
 */
import type { JsonSchema, ToolCapability } from "@shimmy/plugin-sdk";
import { resolveEmbedder, type ResolvedEmbedder } from "./embedder-contract.js";
import type { EmbedderModel } from "./embedders.js";
import type { LoadedPlugins } from "./loaded-plugins.js";
import { embeddersOf, stepsOf, toolsOf } from "./loaded-plugins.js";
import type { PluginLoad } from "./plugin-loader.js";
import type { GrantedPermissions } from "./store/lock-file.js";

/** One tool of a plugin as `GET /api/plugins` shows it (MCP's `tools/list` reads the same fields). */
export interface PluginToolSummary {
  name: string;
  /** The safe, unique name chat requests will use for it. */
  function_name: string;
  title?: string;
  description: string;
  inputSchema: Record<string, unknown>;
  outputSchema?: Record<string, unknown>;
  annotations?: ToolCapability["annotations"];
}

/** One workflow step of a plugin as `GET /api/plugins` shows it: what a workflow's `step` can call. */
export interface PluginStepSummary {
  name: string;
  description?: string;
  /** JSON Schema of its input (any JSON value, or `true` for anything). */
  input: JsonSchema;
  /** JSON Schema of its output. */
  output: JsonSchema;
  annotations?: ToolCapability["annotations"];
}

/** One embedder of a plugin as `GET /api/plugins` shows it: its sizes read from the settings. */
export interface PluginEmbedderSummary {
  name: string;
  /** The model id `/v1/embeddings` takes: `PLUGIN/EMBEDDER`. */
  id: string;
  description?: string;
  /** Null while the setting it comes from is unset (see `problem`). */
  dimensions: number | null;
  max_input_tokens: number | null;
  max_batch_size: number;
  /** Why it cannot embed yet, when a size setting is unset. */
  problem?: string;
}

/** One plugin as `GET /api/plugins` shows it. */
export interface PluginSummary {
  name: string;
  version: string;
  description: string;
  enabled: boolean;
  /** `ready`: loaded; `disabled`; `error`: installed but not loadable, or marked failed (see `error`). */
  status: "ready" | "disabled" | "error";
  error?: string;
  tools: PluginToolSummary[];
  /** Its workflow steps (capabilities of kind `step`); never offered to models. */
  steps: PluginStepSummary[];
  /** Its embedders (capabilities of kind `embedder`), each served as the model `id` (`PLUGIN/EMBEDDER`). */
  embedders: PluginEmbedderSummary[];
  permissions: GrantedPermissions;
  /** Non-secret settings; secret ones are only named in `secrets_set`. */
  config: Record<string, unknown>;
  secrets_set: string[];
  missing_config: string[];
}

/** What `/health` tells about the plugins. */
export interface PluginsHealth {
  /** Plugins loaded and running. */
  ready: number;
  /** Enabled plugins that cannot run, each with the reason. */
  failed: { name: string; error: string }[];
}

/** Whether a plugin runs: a loaded one whose instances later kept failing to start is an `error` too. */
export function pluginStatus(plugin: PluginLoad): PluginSummary["status"] {
  if (!plugin.entry.enabled) return "disabled";
  return plugin.state === "loaded" && plugin.host.failure === null ? "ready" : "error";
}

/** Why a plugin cannot run: its load error, or why its instances were given up on. */
export function pluginError(plugin: PluginLoad): string | undefined {
  if (plugin.state === "unloadable") return plugin.error;
  if (plugin.state === "loaded") return plugin.host.failure ?? undefined;
  return undefined;
}

/** The plugins' state for `/health`: how many run, and which enabled ones cannot, with why. */
export function pluginsHealth(plugins: LoadedPlugins): PluginsHealth {
  const all = plugins.all();
  return {
    ready: all.filter((p) => pluginStatus(p) === "ready").length,
    failed: all.filter((p) => pluginStatus(p) === "error").map((p) => ({ name: p.name, error: pluginError(p) ?? "unknown reason" })),
  };
}

/** A plugin's embedders with their sizes: as its host resolved them, or from its lock's settings when it does not run. */
function resolvedEmbedders(plugin: PluginLoad): readonly ResolvedEmbedder[] {
  if (plugin.state === "loaded") return plugin.host.embedders;
  return embeddersOf(plugin).map((c) => resolveEmbedder(c, plugin.entry.config, plugin.name));
}

/** Every installed plugin's embedders as models `PLUGIN/EMBEDDER`, sorted by id; `ready` says which can embed now. */
export function embedderModels(plugins: LoadedPlugins): EmbedderModel[] {
  return plugins
    .all()
    .flatMap((p) =>
      resolvedEmbedders(p).map((e) => ({
        ...e,
        id: `${p.name}/${e.name}`,
        plugin: p.name,
        created: Math.floor(Date.parse(p.entry.installedAt) / 1000) || 0,
        ready: pluginStatus(p) === "ready" && e.problem === undefined,
      })),
    )
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Every installed plugin with its tools, steps, permissions and settings, sorted by name. */
export function summarizePlugins(plugins: LoadedPlugins): PluginSummary[] {
  return plugins
    .all()
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((p) => {
      const error = pluginError(p);
      return {
        name: p.name,
        version: p.entry.version,
        description: p.manifest?.description ?? "",
        enabled: p.entry.enabled,
        status: pluginStatus(p),
        ...(error ? { error } : {}),
        tools: toolsOf(p).map((c) => ({
          name: c.name,
          function_name: plugins.functionName(p.name, c.name),
          ...(c.title ? { title: c.title } : {}),
          description: c.description,
          inputSchema: c.inputSchema,
          ...(c.outputSchema ? { outputSchema: c.outputSchema } : {}),
          ...(c.annotations ? { annotations: c.annotations } : {}),
        })),
        steps: stepsOf(p).map((c) => ({
          name: c.name,
          ...(c.description ? { description: c.description } : {}),
          input: c.input,
          output: c.output,
          ...(c.annotations ? { annotations: c.annotations } : {}),
        })),
        embedders: resolvedEmbedders(p).map((e) => ({
          name: e.name,
          id: `${p.name}/${e.name}`,
          ...(e.description ? { description: e.description } : {}),
          dimensions: e.dimensions,
          max_input_tokens: e.maxInputTokens,
          max_batch_size: e.maxBatchSize,
          ...(e.problem ? { problem: e.problem } : {}),
        })),
        permissions: p.entry.permissions,
        config: p.entry.config,
        secrets_set: p.secretsSet,
        missing_config: p.missingConfig,
      };
    });
}
