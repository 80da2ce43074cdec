/**
 * Embedding models, local or plugin: the one place that decides whether a model id names a plugin
 * embedder (`PLUGIN/EMBEDDER`, a capability of kind `embedder`) or a model the engine serves (a
 * local GGUF), and embeds through it. `/v1/embeddings` calls {@link embedInputs}; so can anything
 * else that embeds (vector stores), and gets the same vectors, checks and errors.
 */
import type { EmbeddingRequest, EmbeddingResult, Engine } from "../engine/types.js";
import { ShimmyError } from "../errors.js";
import type { ResolvedEmbedder } from "./embedder-contract.js";

/** One plugin embedder as a model: `/v1/models` lists the runnable ones. */
export interface EmbedderModel extends ResolvedEmbedder {
  /** The model id: `PLUGIN/EMBEDDER`. */
  id: string;
  /** The plugin that declares it (`owned_by` in `/v1/models`). */
  plugin: string;
  /** When the plugin was installed, in Unix seconds. */
  created: number;
  /** Whether it can embed now: its plugin is enabled and runs, and its sizes are set. */
  ready: boolean;
}

/** Options of one plugin embedder call. */
export interface EmbedderCallOptions {
  signal?: AbortSignal;
  /** The HTTP request behind the call, written on the plugin's audit lines. */
  requestId?: string;
}

/**
 * What {@link embedInputs} needs of the installed plugins (the server's `InstalledPlugins`
 * satisfies it).
 */
export interface PluginEmbedderSource {
  /** The plugin embedder `model` names (`PLUGIN/EMBEDDER`), runnable or not; undefined when none does. */
  embedder(model: string): EmbedderModel | undefined;
  /** Every installed plugin's embedders, as models. */
  embedderModels(): EmbedderModel[];
  /**
   * Embeds `texts` with the embedder `model` names, in batches of its `maxBatchSize`, every output checked.
   * @throws {ShimmyError} `plugin_unavailable`, `plugin_busy`, `invalid_parameter`, `embedder_failed` or `embedder_timeout`.
   */
  embed(model: string, texts: readonly string[], options?: EmbedderCallOptions): Promise<{ vectors: Float32Array[]; promptTokens: number }>;
}

/** Where embeddings come from: the engine's local models, and the installed plugins' embedders. */
export interface EmbeddingBackends {
  engine: Pick<Engine, "embed">;
  /** Without it, every model id goes to the engine. */
  embedders?: PluginEmbedderSource;
}

/** An embedding request, with the HTTP request it serves (for the plugin's audit lines). */
export type EmbedInputsRequest = EmbeddingRequest & { requestId?: string };

/** The plugin and embedder names of a model id `PLUGIN/EMBEDDER` (the plugin may be `@owner/name`); null for an id without `/`. */
export function splitEmbedderId(model: string): { plugin: string; embedder: string } | null {
  const slash = model.lastIndexOf("/");
  if (slash <= 0 || slash === model.length - 1) return null;
  return { plugin: model.slice(0, slash), embedder: model.slice(slash + 1) };
}

/**
 * Embeds `request.inputs` with the model `request.model` names: a plugin embedder when an installed
 * plugin declares it (`PLUGIN/EMBEDDER`), else the engine's model of that id. Either way the result
 * is one float32 vector per input, in order, with the tokens counted (a plugin's as its backend
 * reports them, 0 when it does not) and the vectors' length. The engine's vectors are
 * L2-normalised; a plugin's are as its backend returns them (OpenAI-compatible servers normalise).
 *
 * @throws {ShimmyError} for a plugin embedder: `invalid_parameter` (a token-id input, param
 *   `input.N`; a `dimensions` other than the embedder's, param `dimensions`), `plugin_unavailable`
 *   (disabled, not loadable, or a size setting unset), `plugin_busy`, `embedder_failed`,
 *   `embedder_timeout`; for a local model, the engine's errors (`model_not_found`, …).
 * @example
 * const { vectors, dimensions } = await embedInputs({ engine, embedders: plugins }, { model: "openai-embeddings/embed", inputs: ["hello"], signal });
 */
export async function embedInputs(backends: EmbeddingBackends, request: EmbedInputsRequest): Promise<EmbeddingResult> {
  const embedder = backends.embedders?.embedder(request.model);
  if (!embedder || !backends.embedders) return backends.engine.embed(request);
  const texts = request.inputs.map((input, index) => {
    if (typeof input !== "string") {
      throw new ShimmyError("invalid_parameter", `input.${index} is token ids, but ${request.model} is a plugin embedder, which embeds text only; send strings`, { param: `input.${index}` });
    }
    return input;
  });
  if (request.dimensions !== undefined && embedder.dimensions !== null && request.dimensions !== embedder.dimensions) {
    throw new ShimmyError("invalid_parameter", `${request.model} returns vectors of ${embedder.dimensions} dimensions; dimensions ${request.dimensions} cannot be served (leave it out)`, { param: "dimensions" });
  }
  const { vectors, promptTokens } = await backends.embedders.embed(request.model, texts, {
    signal: request.signal,
    ...(request.requestId === undefined ? {} : { requestId: request.requestId }),
  });
  return { vectors, promptTokens, dimensions: vectors[0]?.length ?? embedder.dimensions ?? 0 };
}
