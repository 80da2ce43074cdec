/**
 * Runs one tokenised input through an embedding context of llama.cpp and reads its pooled vector.
 *
 * node-llama-cpp 3.22's native `getEmbedding` reads sequence 0 only (`llama_get_embeddings_seq(ctx,
 * 0)`, or the last output row when the model has no pooling), so several inputs can never share one
 * llama.cpp batch: inputs are evaluated one after another.
 *
 * Its public `LlamaEmbeddingContext.getEmbeddingFor` leaves speed behind in two ways, measured on the
 * tiny BERT fixture with 1 thread: its per-call bookkeeping (a lock, a cache erase, a generator, a
 * batch scheduled on the next event-loop turn) costs more than the evaluation itself (~2,500 vs
 * ~4,400 embeddings/s), and its context inherits the model's flash attention ("auto", so on), which
 * the CPU runs slower on short inputs (~4,400 vs ~6,200 embeddings/s) but faster on long ones (512
 * tokens on a MiniLM-sized BERT: ~195 ms with, ~325 ms without); the caller picks it per context.
 *
 * So, when this node-llama-cpp has the internals `LlamaEmbeddingContext` itself is built on (the
 * `_embeddings` context option and the native calls on `context._ctx`), the evaluator creates that
 * context itself, with the flash attention asked for, and drives the same native calls directly.
 * Otherwise it uses the public API. Either way the caller runs one evaluation at a time.
 */
import type { LlamaContext, LlamaContextOptions, LlamaModel, Token } from "node-llama-cpp";

/** Options of {@link createEmbeddingEvaluator}. */
export interface EmbeddingEvaluatorOptions {
  /** Token cells of the embedding context. */
  contextSize: number;
  /**
   * Tokens per llama.cpp batch. Encoders (non-causal attention) must see a whole input in one
   * batch (llama.cpp aborts the process otherwise), so for them this equals `contextSize`.
   */
  batchSize: number;
  threads: number;
  /** Flash attention on or off; the model's default ("auto") when absent. */
  flashAttention?: boolean;
}

/** Evaluates inputs on one embedding context; one call at a time. */
export interface EmbeddingEvaluator {
  /** The most tokens one input may have, framing tokens included. */
  readonly maxInputTokens: number;
  /** Which path runs the evaluations. */
  readonly mode: "native" | "public";
  /** The raw (not normalised) vector of an input already framed with BOS/EOS as the model wants. */
  evaluate(tokens: readonly Token[]): Promise<ArrayLike<number>>;
  dispose(): Promise<void>;
}

/** The native context calls the fast path drives, as node-llama-cpp 3.22's addon names them. */
interface NativeEmbeddingContext {
  initBatch(size: number): void;
  addToBatch(sequenceId: number, firstTokenIndex: number, tokens: Uint32Array, logitIndexes: Uint32Array): Uint32Array;
  decodeBatch(): Promise<void>;
  getEmbedding(inputTokensLength: number): Float64Array;
  removeTokenCellsFromSequence(sequenceId: number, start: number, end: number): boolean;
}

const NATIVE_METHODS = ["initBatch", "addToBatch", "decodeBatch", "getEmbedding", "removeTokenCellsFromSequence"];

/** The native context behind a context, when this node-llama-cpp exposes it as expected. */
function nativeContextOf(context: LlamaContext): NativeEmbeddingContext | null {
  const native = (context as unknown as { _ctx?: Record<string, unknown> })._ctx;
  if (!native || !NATIVE_METHODS.every((name) => typeof native[name] === "function")) return null;
  return native as unknown as NativeEmbeddingContext;
}

/** Creates the embedding context of `model` and the evaluator over it. */
export async function createEmbeddingEvaluator(model: LlamaModel, options: EmbeddingEvaluatorOptions): Promise<EmbeddingEvaluator> {
  const { contextSize, batchSize, threads, flashAttention } = options;
  const context = await model.createContext({
    contextSize,
    batchSize,
    threads,
    sequences: 1,
    ...(flashAttention === undefined ? {} : { flashAttention }),
    _embeddings: true, // what LlamaEmbeddingContext passes: pooled outputs, no logits
  } as LlamaContextOptions);
  // getEmbedding reads sequence 0: the context's one sequence is taken so nothing else uses it.
  const sequence = context.getSequence();
  const native = nativeContextOf(context);
  if (!native || (sequence as unknown as { _sequenceId?: unknown })._sequenceId !== 0) {
    await context.dispose();
    return publicEvaluator(model, options);
  }
  return {
    maxInputTokens: contextSize,
    mode: "native",
    async evaluate(tokens) {
      // Forget the previous input's cache cells (a no-op for encoders, which keep none).
      native.removeTokenCellsFromSequence(0, 0, -1);
      // A causal model's input longer than a batch goes in chunks, the cache carrying the prefix.
      // An embedding context outputs every token of a batch, so the output index is a formality.
      for (let start = 0; start < tokens.length; start += batchSize) {
        const chunk = tokens.slice(start, start + batchSize);
        native.initBatch(chunk.length);
        native.addToBatch(0, start, Uint32Array.from(chunk), Uint32Array.of(chunk.length - 1));
        await native.decodeBatch();
      }
      return native.getEmbedding(tokens.length);
    },
    dispose: () => context.dispose(),
  };
}

/** The evaluator on node-llama-cpp's public embedding API, for versions without the internals. */
async function publicEvaluator(model: LlamaModel, options: EmbeddingEvaluatorOptions): Promise<EmbeddingEvaluator> {
  const { contextSize, batchSize, threads } = options;
  // getEmbeddingFor refuses an input as long as its context: one cell more keeps the same limit.
  const context = await model.createEmbeddingContext({ contextSize: contextSize + 1, batchSize, threads });
  return {
    maxInputTokens: contextSize,
    mode: "public",
    evaluate: async (tokens) => (await context.getEmbeddingFor([...tokens])).vector,
    dispose: () => context.dispose(),
  };
}
