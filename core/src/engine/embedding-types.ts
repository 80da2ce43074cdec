/**
 * The engine's embedding types, in terms that belong to no wire format (OpenAI's `/v1/embeddings`
 * today, Ollama's `/api/embed` later). Re-exported by `types.ts`.
 */
import type { KeepAlive } from "../config/duration.js";

/** One input to embed: text, or token ids of the model's own vocabulary. */
export type EmbeddingInput = string | readonly number[];

/** A request to embed a batch of inputs with one model. */
export interface EmbeddingRequest {
  /** The model id, as `listModels()` names it. */
  model: string;
  /**
   * What to embed, in order. Text is tokenized as plain text (special-token markup is not parsed);
   * text and token ids alike get the model's own framing tokens (BOS/`[CLS]`, EOS/`[SEP]`) when the
   * model adds them and they are not already there. Errors name an input as `input.N`.
   */
  inputs: readonly EmbeddingInput[];
  /**
   * The vector size the client asked for. Shimmy cannot shorten vectors, so anything but the
   * model's own size is refused (`invalid_parameter`, param `dimensions`).
   */
  dimensions?: number;
  /** Aborts the wait for the model's embedding queue and the inputs not yet evaluated. */
  signal: AbortSignal;
  /** The model's keep-alive from this request on (Ollama's `keep_alive`). */
  keepAlive?: KeepAlive;
}

/** The vectors of an {@link EmbeddingRequest}. */
export interface EmbeddingResult {
  /** One L2-normalised vector per input, in input order (a zero vector stays zero). */
  vectors: Float32Array[];
  /** Tokens evaluated over all inputs, framing tokens included. */
  promptTokens: number;
  /** The length of every vector. */
  dimensions: number;
}
