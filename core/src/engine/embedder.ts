/**
 * A loaded model's embeddings: its own embedding contexts (a full-size one, and on CPU a small one
 * for short inputs), each created on the first request that needs it and disposed with the model,
 * behind their own one-slot FIFO (the chat slots stay free for chat). Inputs run one at a time: see
 * `embedding-evaluator.ts` for why node-llama-cpp cannot batch them.
 *
 * Pooling is llama.cpp's, decided by the GGUF: an encoder's `{arch}.pooling_type` (mean, CLS,
 * last…) pools over the input's tokens; a decoder without one (a plain llama) has pooling "none",
 * and node-llama-cpp then returns the hidden state of the input's LAST token (after the final
 * norm). Neither is normalised by llama.cpp, so every vector is L2-normalised here.
 */
import { LlamaVocabularyType, type LlamaModel, type Token } from "node-llama-cpp";
import { ShimmyError, retryLater } from "../errors.js";
import { createEmbeddingEvaluator, type EmbeddingEvaluator } from "./embedding-evaluator.js";
import type { EmbeddingInput, EmbeddingRequest, EmbeddingResult } from "./embedding-types.js";
import { SlotQueue } from "./slot-queue.js";

/** Options of {@link Embedder}. */
export interface EmbedderOptions {
  /** The model id, for messages. */
  id: string;
  /** Tokens per chat slot; the embedding context takes this, capped at the trained context. */
  contextSize: number;
  threads: number;
  /** Embedding requests that may wait for the one running. */
  queueSize: number;
  /** Tokens per llama.cpp batch for a causal model (encoders take the whole context). @default 512 */
  causalBatchSize?: number;
}

/** Scales `vector` to unit L2 norm (in double precision), as a Float32Array. */
export function l2Normalize(vector: ArrayLike<number>): Float32Array {
  let sum = 0;
  for (let i = 0; i < vector.length; i++) sum += vector[i]! * vector[i]!;
  const out = new Float32Array(vector.length);
  const scale = sum > 0 ? 1 / Math.sqrt(sum) : 0;
  for (let i = 0; i < vector.length; i++) out[i] = vector[i]! * scale;
  return out;
}

/** Reads a dotted key of GGUF metadata, `undefined` when any step is missing. */
function metadataAt(metadata: unknown, path: string): unknown {
  let node = metadata;
  for (const key of path.split(".")) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/**
 * Inputs of at most this many tokens run, on CPU, on a small context of their own without flash
 * attention, which the CPU runs slower below about 64 tokens and faster above (measured on the BERT
 * fixtures, see `embedding-evaluator.ts`). Longer inputs, and every input on a GPU, run on the
 * full-size context with the model's default.
 */
export const SHORT_INPUT_TOKENS = 64;

type ContextKind = "short" | "full";

const unloading = () => retryLater("The model is being unloaded; retry shortly.");

/** Embeds inputs with one model, one request at a time, in arrival order. */
export class Embedder {
  private readonly model: LlamaModel;
  private readonly options: EmbedderOptions;
  private readonly queue: SlotQueue<true>;
  /** The embedding contexts, each created on first use. */
  private readonly evaluators = new Map<ContextKind, Promise<EmbeddingEvaluator>>();
  /** The request evaluating now, awaited by `dispose()` so no decode outlives its context. */
  private running: Promise<unknown> = Promise.resolve();
  private disposed = false;

  constructor(model: LlamaModel, options: EmbedderOptions) {
    this.model = model;
    this.options = options;
    this.queue = new SlotQueue({ slots: [true], queueSize: options.queueSize });
  }

  /** The length of the model's vectors. */
  get dimensions(): number {
    return this.model.embeddingVectorSize;
  }

  /**
   * Embeds every input, in order; all inputs are checked before any is evaluated.
   *
   * @throws ShimmyError `invalid_parameter` (`dimensions`, an empty input or a token id outside the
   *   vocabulary, `input.N`), `context_length_exceeded` (`input.N`), `server_overloaded`.
   */
  async embed(request: EmbeddingRequest): Promise<EmbeddingResult> {
    const { dimensions } = this;
    if (request.dimensions !== undefined && request.dimensions !== dimensions) {
      throw new ShimmyError(
        "invalid_parameter",
        `The model "${this.options.id}" makes vectors of ${dimensions} dimensions and cannot shorten them: ` +
          `send dimensions ${dimensions} or leave it out (you sent ${request.dimensions}).`,
        { param: "dimensions" },
      );
    }
    const tokenized = request.inputs.map((input, i) => this.tokenize(input, `input.${i}`));
    const shortLimit = this.model.gpuLayers === 0 ? Math.min(SHORT_INPUT_TOKENS, this.contextSize) : 0;
    const full = tokenized.some((tokens) => tokens.length > shortLimit) ? await this.evaluator("full") : undefined;
    if (full) tokenized.forEach((tokens, i) => this.checkLength(tokens.length, full.maxInputTokens, `input.${i}`));
    const short = tokenized.some((tokens) => tokens.length <= shortLimit) ? await this.evaluator("short") : undefined;

    const lease = await this.queue.acquire(request.signal);
    if (this.disposed) {
      lease.release();
      throw unloading();
    }
    const work = (async () => {
      const vectors: Float32Array[] = [];
      for (const tokens of tokenized) {
        if (request.signal.aborted) throw request.signal.reason;
        const evaluator = tokens.length <= shortLimit ? short! : full!;
        vectors.push(l2Normalize(await evaluator.evaluate(tokens)));
      }
      return vectors;
    })();
    this.running = work.catch(() => undefined);
    try {
      const vectors = await work;
      const promptTokens = tokenized.reduce((sum, tokens) => sum + tokens.length, 0);
      return { vectors, promptTokens, dimensions };
    } finally {
      lease.release();
    }
  }

  /** Refuses waiting requests, lets the running one finish, and frees the embedding contexts. */
  async dispose(): Promise<void> {
    this.disposed = true;
    this.queue.rejectWaiters(unloading());
    await this.running;
    for (const pending of this.evaluators.values()) {
      const evaluator = await pending.catch(() => undefined);
      await evaluator?.dispose();
    }
  }

  /** Tokens of the full-size embedding context: the chat slot's size, capped at the trained context. */
  private get contextSize(): number {
    // Beyond the trained context an encoder's position table ends; a decoder's embeddings degrade.
    const trained = this.model.trainContextSize || this.options.contextSize;
    return Math.max(2, Math.min(this.options.contextSize, trained));
  }

  /** An embedding context, created once on first use; a failed creation is retried next time. */
  private evaluator(kind: ContextKind): Promise<EmbeddingEvaluator> {
    if (this.disposed) return Promise.reject(unloading());
    let pending = this.evaluators.get(kind);
    if (!pending) {
      pending = this.createEvaluator(kind).catch((err: unknown) => {
        this.evaluators.delete(kind);
        throw err;
      });
      this.evaluators.set(kind, pending);
    }
    return pending;
  }

  private async createEvaluator(kind: ContextKind): Promise<EmbeddingEvaluator> {
    const { model } = this;
    if (model.fileInsights.hasEncoder && model.fileInsights.hasDecoder) {
      throw new ShimmyError("embeddings_unsupported", `The model "${this.options.id}" is an encoder-decoder model (such as T5); llama.cpp cannot embed with it.`, {
        param: "model",
      });
    }
    const contextSize = kind === "short" ? Math.min(SHORT_INPUT_TOKENS, this.contextSize) : this.contextSize;
    const arch = metadataAt(model.fileInfo.metadata, "general.architecture");
    // Non-causal attention (BERT and kin) needs the whole input in one batch: llama.cpp asserts it.
    const causal = typeof arch !== "string" || metadataAt(model.fileInfo.metadata, `${arch}.attention.causal`) !== false;
    const batchSize = causal ? Math.min(contextSize, this.options.causalBatchSize ?? 512) : contextSize;
    try {
      return await createEmbeddingEvaluator(model, {
        contextSize, batchSize, threads: this.options.threads, ...(kind === "short" ? { flashAttention: false } : {}),
      });
    } catch (err) {
      throw new ShimmyError("model_load_failed", `llama.cpp could not create an embedding context for "${this.options.id}": ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  /** Tokens of one input, framed as llama.cpp frames a prompt (BOS/[CLS] first, EOS/[SEP] last). */
  private tokenize(input: EmbeddingInput, param: string): Token[] {
    let tokens: Token[];
    if (typeof input === "string") {
      tokens = this.model.tokenize(input, false);
    } else {
      const vocabularySize = this.vocabularySize();
      // An id outside the vocabulary would make llama.cpp read out of bounds and abort the process.
      const bad = input.findIndex((id) => !Number.isInteger(id) || id < 0 || id >= vocabularySize);
      if (bad >= 0) {
        throw new ShimmyError(
          "invalid_parameter",
          `${param} holds the token id ${input[bad]} (at ${bad}), but this model's vocabulary has ids 0 to ${vocabularySize - 1}.`,
          { param },
        );
      }
      tokens = [...input] as Token[];
    }
    const { first, last } = this.framing();
    if (first !== null && tokens[0] !== first) tokens.unshift(first);
    if (last !== null && tokens.at(-1) !== last) tokens.push(last);
    if (tokens.length === 0) throw new ShimmyError("invalid_parameter", `${param} is empty; send at least one token of text.`, { param });
    return tokens;
  }

  /** The tokens llama.cpp adds around a prompt for this vocabulary, as node-llama-cpp resolves them. */
  private framing(): { first: Token | null; last: Token | null } {
    const { vocabularyType, tokens } = this.model;
    switch (vocabularyType) {
      case LlamaVocabularyType.rwkv:
        return { first: null, last: null };
      case LlamaVocabularyType.wpm:
        return { first: tokens.bos, last: tokens.sep };
      case LlamaVocabularyType.ugm:
        return { first: null, last: tokens.eos };
      default:
        return { first: tokens.shouldPrependBosToken ? tokens.bos : null, last: tokens.shouldAppendEosToken ? tokens.eos : null };
    }
  }

  /** Entries of the vocabulary, from the GGUF (the smallest of the sizes it states). */
  private vocabularySize(): number {
    const metadata = this.model.fileInfo.metadata;
    const arch = metadataAt(metadata, "general.architecture");
    const tokens = metadataAt(metadata, "tokenizer.ggml.tokens");
    const sizes = [Array.isArray(tokens) ? tokens.length : undefined, metadataAt(metadata, `${String(arch)}.vocab_size`)]
      .filter((n): n is number => typeof n === "number" && n > 0);
    return sizes.length > 0 ? Math.min(...sizes) : 0;
  }

  private checkLength(length: number, max: number, param: string): void {
    if (length <= max) return;
    throw new ShimmyError(
      "context_length_exceeded",
      `${param} has ${length} tokens, but the model "${this.options.id}" embeds at most ${max} tokens per input. ` +
        "Split the text into smaller pieces.",
      { param },
    );
  }
}
