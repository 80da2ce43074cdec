/**
 * Plugin embedders as OpenAI models: `GET /v1/models` lists each runnable one as `PLUGIN/EMBEDDER`,
 * owned by its plugin. Pure: it reads a {@link PluginEmbedderSource}.
 */
import type { PluginEmbedderSource } from "../plugins/embedders.js";
import type { ModelList, ModelObject } from "./types.js";

/** The runnable plugin embedders as model objects, sorted by id (none without a source). */
export function pluginEmbedderObjects(embedders: PluginEmbedderSource | undefined): ModelObject[] {
  return (embedders?.embedderModels() ?? []).filter((m) => m.ready).map((m) => ({ id: m.id, object: "model", created: m.created, owned_by: m.plugin }));
}

/** `list` with the runnable plugin embedders after the local models. */
export function withPluginEmbedders(list: ModelList, embedders: PluginEmbedderSource | undefined): ModelList {
  return { ...list, data: [...list.data, ...pluginEmbedderObjects(embedders)] };
}
