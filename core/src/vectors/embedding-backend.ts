/**
 * How vector stores turn text into vectors: one small interface, so a store does not care whether
 * a local GGUF model, an embedder plugin or a remote endpoint does the work. {@link EngineEmbeddingBackend}
 * is the local one, over the engine's `embed`.
 */
import { ShimmyError } from "../errors.js";
import type { Engine } from "../engine/types.js";
import { embedInputs, type PluginEmbedderSource } from "../plugins/embedders.js";
import { estimateTokens } from "./chunker.js";

/**
 * Texts per embed call for a local GGUF model. The engine evaluates one input at a time whatever a
 * call holds (engine/embedder.ts) and answers one token total per call, so a call per chunk costs
 * only its bookkeeping and gives each chunk its exact token count. Plugin embedders take their own
 * `maxBatchSize`: one HTTP request per batch is where their time goes.
 */
export const ENGINE_EMBED_BATCH = 1;

/** The vectors of one {@link EmbeddingBackend.embed} call. */
export interface EmbeddedTexts {
  /** One L2-normalised vector per text, in order. */
  vectors: Float32Array[];
  /** The length of every vector. */
  dimensions: number;
  /**
   * Tokens evaluated per text, framing tokens included (the model's own tokenizer counted them).
   * Exact for a call of one text, and for every text of a local model; a plugin's backend reports
   * one total per call, which a call of several texts shares out in proportion to their estimated
   * tokens (the shares sum to the total).
   */
  tokens: number[];
  /** Whether every count of `tokens` is the text's own, not a share of a total. */
  tokensExact: boolean;
}

/** Turns texts into vectors with a named model. */
export interface EmbeddingBackend {
  /** Embeds `texts` in order with `model`. @throws ShimmyError as `/v1/embeddings` would. */
  embed(model: string, texts: readonly string[], signal: AbortSignal): Promise<EmbeddedTexts>;
  /** Most texts one {@link embed} call should take for `model`: a plugin embedder's `maxBatchSize`, else {@link ENGINE_EMBED_BATCH}. */
  maxBatchSize(model: string): number;
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
 * `/v1/embeddings` uses (plugins/embedders.ts). A plugin embedder gets all the texts in one call;
 * a local model one call per text (see {@link ENGINE_EMBED_BATCH}), which gives each its exact
 * token count, the one the chunker checks its estimate against.
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
    const backends = { engine: this.engine, ...(this.embedders ? { embedders: this.embedders } : {}) };
    if (texts.length === 0) return { vectors: [], dimensions: (await embedInputs(backends, { model, inputs: [" "], signal })).dimensions, tokens: [], tokensExact: true };
    if (this.embedders?.embedder(model)) {
      // One call: the plugin host sends it in requests of the embedder's maxBatchSize.
      const result = await embedInputs(backends, { model, inputs: texts, signal });
      // A plugin's vectors are as its backend sends them; the stores compare normalised ones.
      return { vectors: result.vectors.map(normalised), dimensions: result.dimensions, tokens: sharedOut(result.promptTokens, texts), tokensExact: texts.length === 1 };
    }
    const vectors: Float32Array[] = [];
    const tokens: number[] = [];
    let dimensions = 0;
    for (const text of texts) {
      const result = await embedInputs(backends, { model, inputs: [text], signal });
      // A copy: the engine's vector may be a view into a buffer it reuses (a runner process's IPC
      // message, as V8's deserializer leaves typed arrays), and a small store's index keeps it.
      vectors.push(new Float32Array(result.vectors[0]!));
      tokens.push(result.promptTokens);
      dimensions = result.dimensions;
    }
    return { vectors, dimensions, tokens, tokensExact: true };
  }

  maxBatchSize(model: string): number {
    return this.embedders?.embedder(model)?.maxBatchSize ?? ENGINE_EMBED_BATCH;
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

/** `total` tokens shared out over `texts` in proportion to their estimated tokens, by largest remainder (one text gets it all). */
function sharedOut(total: number, texts: readonly string[]): number[] {
  if (texts.length === 1) return [total];
  const weights = texts.map((t) => Math.max(1, estimateTokens(t)));
  const sum = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (total * w) / sum);
  const shares = exact.map(Math.floor);
  const order = exact.map((x, i) => ({ i, rest: x - Math.floor(x) })).sort((a, b) => b.rest - a.rest);
  for (let k = 0, left = total - shares.reduce((a, b) => a + b, 0); k < left; k++) shares[order[k % order.length]!.i]!++;
  return shares;
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
