/**
 * How vector stores turn text into vectors: one small interface, so a store does not care whether
 * a local GGUF model, an embedder plugin or a remote endpoint does the work. {@link EngineEmbeddingBackend}
 * is the local one, over the engine's `embed`.
 */
import { ShimmyError } from "../errors.js";
import type { Engine } from "../engine/types.js";
import { embedInputs, type PluginEmbedderSource } from "../plugins/embedders.js";

/** The vectors of one {@link EmbeddingBackend.embed} call. */
export interface EmbeddedTexts {
  /** One L2-normalised vector per text, in order. */
  vectors: Float32Array[];
  /** The length of every vector. */
  dimensions: number;
  /** Tokens evaluated per text, framing tokens included (the model's own tokenizer counted them). */
  tokens: number[];
}

/** Turns texts into vectors with a named model. */
export interface EmbeddingBackend {
  /** Embeds `texts` in order with `model`. @throws ShimmyError as `/v1/embeddings` would. */
  embed(model: string, texts: readonly string[], signal: AbortSignal): Promise<EmbeddedTexts>;
  /** The most tokens one text may have for `model` (its context); null when unknown. */
  maxInputTokens(model: string): number | null;
  /** The model a store gets when its creator names none; null when there is none. */
  defaultModel(): string | null;
}

/** Options of {@link EngineEmbeddingBackend}. */
export interface EngineEmbeddingBackendOptions {
  /** `vectorStores.embeddingModel` of config.json. @default the first embedding-only model the engine lists */
  defaultModel?: string | null;
  /** The installed plugins' embedders, so a store may use `PLUGIN/EMBEDDER`. @default local models only */
  embedders?: PluginEmbedderSource;
}

/**
 * {@link EmbeddingBackend} over {@link Engine.embed} and the plugin embedders, through the one resolver
 * `/v1/embeddings` uses (plugins/embedders.ts). Texts go one per call: the engine evaluates
 * inputs one at a time anyway (engine/embedder.ts), and one call per text gives each its exact
 * token count, which the chunker checks its estimate against.
 */
export class EngineEmbeddingBackend implements EmbeddingBackend {
  private readonly engine: Engine;
  private readonly configured: string | null;
  private readonly embedders: PluginEmbedderSource | undefined;

  constructor(engine: Engine, options: EngineEmbeddingBackendOptions = {}) {
    this.engine = engine;
    this.configured = options.defaultModel ?? null;
    this.embedders = options.embedders;
  }

  async embed(model: string, texts: readonly string[], signal: AbortSignal): Promise<EmbeddedTexts> {
    const vectors: Float32Array[] = [];
    const tokens: number[] = [];
    let dimensions = 0;
    for (const text of texts) {
      const result = await embedInputs({ engine: this.engine, ...(this.embedders ? { embedders: this.embedders } : {}) }, { model, inputs: [text], signal });
      // A plugin's vectors are as its backend sends them; the stores compare normalised ones.
      vectors.push(normalised(result.vectors[0]!));
      tokens.push(result.promptTokens);
      dimensions = result.dimensions;
    }
    if (texts.length === 0) {
      const probe = await embedInputs({ engine: this.engine, ...(this.embedders ? { embedders: this.embedders } : {}) }, { model, inputs: [" "], signal });
      dimensions = probe.dimensions;
    }
    return { vectors, dimensions, tokens };
  }

  maxInputTokens(model: string): number | null {
    const plugin = this.embedders?.embedder(model);
    if (plugin) return plugin.maxInputTokens ?? null;
    return this.engine.listModels().find((m) => m.id === model)?.contextSize ?? null;
  }

  defaultModel(): string | null {
    if (this.configured) return this.configured;
    const models = this.engine.listModels().filter((m) => !m.invalidReason);
    const embeddingOnly = models.find((m) => m.capabilities.length === 1 && m.capabilities[0] === "embedding");
    return embeddingOnly?.id ?? null;
  }
}

/** `vector` scaled to length 1 (a zero vector stays zero). */
function normalised(vector: Float32Array): Float32Array {
  let sum = 0;
  for (const x of vector) sum += x * x;
  if (sum === 0 || Math.abs(sum - 1) < 1e-6) return vector;
  const scale = 1 / Math.sqrt(sum);
  return vector.map((x) => x * scale);
}

/** The 400 a store creation gets when no model was named and there is no default. */
export function noEmbeddingModel(): ShimmyError {
  return new ShimmyError(
    "embedding_model_unavailable",
    "No embedding model for the vector store: name one in `embedding_model`, set `vectorStores.embeddingModel` in config.json, or serve an embedding model.",
    { param: "embedding_model" },
  );
}
