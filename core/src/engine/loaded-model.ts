/**
 * One model in memory: its weights, one context of `parallel` sequences (the slots), and the
 * queue in front of them. The sequences of a context are batched together by node-llama-cpp, so
 * concurrent requests share each evaluation step (continuous batching).
 */
import {
  LlamaChat, LlamaCompletion,
  type ChatWrapper, type Llama, type LlamaContext, type LlamaContextSequence, type LlamaGrammar, type LlamaModel, type Token,
} from "node-llama-cpp";
import { ShimmyError, retryLater } from "../errors.js";
import { randomId } from "../ids.js";
import { planChat, type ChatPlan } from "./chat-plan.js";
import { resolveModelChatWrapper } from "./chat-wrapper.js";
import { GrammarCache } from "./grammar-cache.js";
import { NativeToolCalls } from "./native-tool-calls.js";
import { ToolCallStream } from "./tool-call-stream.js";
import { toLlamaSampling } from "./sampling.js";
import { SlotQueue, type SlotLease } from "./slot-queue.js";
import { cacheTokenizations } from "./token-cache.js";
import { Embedder } from "./embedder.js";
import { fileContextTokens, fimTokensOf, infillPromptTokens } from "./infill-prompt.js";
import type { EmbeddingRequest, EmbeddingResult } from "./embedding-types.js";
import { GenerationAborted, type ChatRequest, type ChatSession, type CompletionRequest, type FinishReason, type GenerationOptions, type GenerationResult, type InfillRequest, type SlotStatus } from "./types.js";

/** Options of {@link LoadedModel.load}. */
export interface LoadedModelOptions {
  id: string;
  path: string;
  /** Tokens per slot. */
  contextSize: number;
  /** Slots: sequences of the one context. */
  parallel: number;
  threads: number;
  queueSize: number;
  /** Reports load progress from 0 to 1. */
  onLoadProgress?: (progress: number) => void;
}

/** The length of the shared prefix of two token arrays. */
function commonPrefixLength(a: readonly Token[], b: readonly Token[]): number {
  const max = Math.min(a.length, b.length);
  let i = 0;
  while (i < max && a[i] === b[i]) i++;
  return i;
}

/** A chat request made ready for a slot. */
interface PreparedChat {
  plan: ChatPlan;
  promptTokens: Token[];
  maxTokens: number;
  grammar: LlamaGrammar | undefined;
}

/** A free slot whose cache already holds the longest part of the prompt, so less is evaluated again. */
function slotWithLongestPrefix(prompt: readonly Token[]) {
  return (free: readonly LlamaContextSequence[]): LlamaContextSequence => {
    let best = free[0]!;
    let bestLength = -1;
    for (const sequence of free) {
      const length = commonPrefixLength(sequence.contextTokens, prompt);
      if (length > bestLength) {
        best = sequence;
        bestLength = length;
      }
    }
    return best;
  };
}

/**
 * Counts the tokens a generation samples on a sequence, from the sequence's own token meter: one
 * "output" token is metered for each position whose logits are read, that is, for each token
 * sampled. Counting what reaches `onToken` misses tokens node-llama-cpp holds back (one that ends
 * in a partial UTF-8 character is never released when the token limit ends the generation).
 */
class SampledTokens {
  private readonly before: number;

  constructor(private readonly sequence: LlamaContextSequence) {
    this.before = sequence.tokenMeter.usedOutputTokens;
  }

  /**
   * Tokens sampled so far, less the end-of-generation token when that is what ended it: OpenAI's
   * `completion_tokens` leaves the end token out, so a finish of `length` always means exactly
   * `max_tokens` tokens.
   */
  count(stopReason: string): number {
    const sampled = this.sequence.tokenMeter.usedOutputTokens - this.before;
    return stopReason === "eogToken" ? Math.max(0, sampled - 1) : sampled;
  }

  /**
   * The result of the finished generation; an aborted one throws, carrying its token counts.
   * `stopTrigger` is node-llama-cpp's `customStopTrigger`: the request's stop sequence that matched.
   */
  result(text: string, stopReason: string, promptTokens: number, stopTrigger?: readonly (string | Token)[]): GenerationResult {
    const completionTokens = this.count(stopReason);
    if (stopReason === "abort") throw new GenerationAborted(promptTokens, completionTokens);
    const finishReason: FinishReason = stopReason === "maxTokens" ? "length" : "stop";
    // Stop sequences are passed as plain strings (sampling.ts), so the trigger holds no tokens.
    const stopSequence = stopReason === "customStopTrigger" ? stopTrigger?.filter((part) => typeof part === "string").join("") : undefined;
    return { text, finishReason, promptTokens, completionTokens, ...(stopSequence ? { stopSequence } : {}) };
  }
}

/** The stop trigger that ended a generation, when one of the request's stop sequences did. */
function stopTriggerOf(metadata: { stopReason: string }): readonly (string | Token)[] | undefined {
  return (metadata as { customStopTrigger?: (string | Token)[] }).customStopTrigger;
}

/** A model loaded with its slots. Dispose it to free the context and the weights. */
export class LoadedModel {
  readonly id: string;
  readonly contextSize: number;
  private readonly model: LlamaModel;
  private readonly context: LlamaContext;
  private readonly slots: SlotQueue<LlamaContextSequence>;
  private readonly chatWrapper: ChatWrapper;
  private readonly grammars: GrammarCache;
  /** Embeddings run on their own context (created on the first request) and queue. */
  private readonly embedder: Embedder;

  private constructor(id: string, model: LlamaModel, context: LlamaContext, options: LoadedModelOptions, grammars: GrammarCache) {
    this.id = id;
    this.model = model;
    this.context = context;
    // llama.cpp rounds a context up (to 256 cells); the limit a client sees stays the one configured.
    this.contextSize = Math.min(options.contextSize, context.contextSize);
    const sequences = Array.from({ length: context.totalSequences }, () => context.getSequence());
    this.slots = new SlotQueue({ slots: sequences, queueSize: options.queueSize });
    this.chatWrapper = resolveModelChatWrapper(model);
    this.grammars = grammars;
    this.embedder = new Embedder(model, { id, contextSize: options.contextSize, threads: options.threads, queueSize: options.queueSize });
  }

  /** Embeds inputs on the model's embedding context, one request at a time. */
  embed(request: EmbeddingRequest): Promise<EmbeddingResult> {
    return this.embedder.embed(request);
  }

  /** Loads the weights and creates the context. The file must have passed the GGUF check. */
  static async load(llama: Llama, options: LoadedModelOptions, grammars: GrammarCache): Promise<LoadedModel> {
    const model = await llama.loadModel({
      modelPath: options.path,
      onLoadProgress: options.onLoadProgress,
    });
    return LoadedModel.withContext(model, options, grammars);
  }

  /**
   * Creates the context of weights already loaded (a runner tells the two stages apart: weights
   * that fail to load are a verdict on the file, a context that fails is one on memory); the
   * weights are freed when it fails.
   */
  static async withContext(model: LlamaModel, options: LoadedModelOptions, grammars: GrammarCache): Promise<LoadedModel> {
    try {
      const context = await model.createContext({
        contextSize: options.contextSize,
        sequences: options.parallel,
        threads: options.threads,
      });
      cacheTokenizations(model);
      return new LoadedModel(options.id, model, context, options, grammars);
    } catch (err) {
      await model.dispose();
      throw err;
    }
  }

  /** Its slots right now. */
  get slotStatus(): SlotStatus {
    return { model: this.id, slots: this.slots.size, busy: this.slots.busy, waiting: this.slots.waiting };
  }

  /** Bytes it holds: the weights and the context's state (the KV cache of every slot). */
  get memoryBytes(): number {
    return this.model.size + this.context.stateSize;
  }

  /** The chat format the model's template resolved to, for logs. */
  get chatFormat(): string {
    return this.chatWrapper.wrapperName;
  }

  /**
   * Generates the next assistant turn with the model's chat template: free text, JSON under a
   * grammar, native tool calls, or forced tool calls (see `planChat`).
   */
  async chat(request: ChatRequest): Promise<GenerationResult> {
    const prepared = await this.prepareChat(request);
    return this.withSlot(request, prepared.promptTokens, async (sequence) => {
      // Measured before generating, as a session's round does: what the slot's cache already held.
      const total = prepared.promptTokens.length;
      const reused = Math.min(commonPrefixLength(sequence.contextTokens, prepared.promptTokens), total - 1);
      const result = await this.generateChat(sequence, prepared, request);
      return { ...result, promptTokensEvaluated: total - reused, promptTokensReused: reused };
    });
  }

  /**
   * A session of chat rounds on one slot, held from its first round to `release()`: node-llama-cpp
   * keeps a sequence's tokens and evaluates only what follows the prefix a new prompt shares with
   * them, so each round pays for its new turns alone.
   */
  chatSession(signal: AbortSignal): ChatSession {
    let lease: SlotLease<LlamaContextSequence> | undefined;
    let released = false;
    return {
      chat: async (round) => {
        if (released) throw new Error("chat session already released");
        const request: ChatRequest = { ...round, model: this.id, signal };
        const prepared = await this.prepareChat(request);
        lease ??= await this.slots.acquire(signal, slotWithLongestPrefix(prepared.promptTokens));
        if (released) {
          // Released while waiting for the slot: hand it straight back.
          lease.release();
          throw new Error("chat session already released");
        }
        const total = prepared.promptTokens.length;
        // The last prompt token is always evaluated again: its logits give the first sampled token.
        const reused = Math.min(commonPrefixLength(lease.slot.contextTokens, prepared.promptTokens), total - 1);
        const result = await this.generateChat(lease.slot, prepared, request);
        return { ...result, promptTokensEvaluated: total - reused, promptTokensReused: reused };
      },
      release: () => {
        released = true;
        lease?.release();
      },
    };
  }

  /** Tokens of the prompt a chat request renders to, as {@link chat} would evaluate it. */
  countChatTokens(request: ChatRequest): number {
    return this.chatPrompt(request).promptTokens.length;
  }

  /** A chat request's plan and the tokens of its prompt: the chat template applied, tools included. */
  private chatPrompt(request: ChatRequest): { plan: ChatPlan; promptTokens: Token[] } {
    const plan = planChat(request, { parallelToolCalls: this.chatWrapper.settings.functions.parallelism != null });
    const functions = plan.kind === "native-tools" ? plan.functions : undefined;
    const { contextText } = this.chatWrapper.generateContextState({ chatHistory: plan.history, availableFunctions: functions });
    return { plan, promptTokens: contextText.tokenize(this.model.tokenizer) };
  }

  /** The plan, prompt tokens, token limit and grammar of a chat request, before it needs a slot. */
  private async prepareChat(request: ChatRequest): Promise<PreparedChat> {
    const { plan, promptTokens } = this.chatPrompt(request);
    const maxTokens = this.maxTokensFor(promptTokens.length, request, "messages");
    const grammar = plan.kind === "json" || plan.kind === "forced-tools" ? await this.grammars.forSchema(plan.schema) : undefined;
    return { plan, promptTokens, maxTokens, grammar };
  }

  /** Generates a prepared chat request on `sequence`. */
  private async generateChat(sequence: LlamaContextSequence, prepared: PreparedChat, request: ChatRequest): Promise<GenerationResult> {
    const { plan, promptTokens, maxTokens, grammar } = prepared;
    const chat = new LlamaChat({ contextSequence: sequence, chatWrapper: this.chatWrapper, autoDisposeSequence: false });
    const sampled = new SampledTokens(sequence);
    const options = this.generationOptions(request, maxTokens);
    try {
      if (plan.kind === "forced-tools") {
        const calls = new ToolCallStream(() => randomId("call_"), request.onToolCall);
        const response = await chat.generateResponse(plan.history, { ...options, grammar, onTextChunk: (text) => calls.push(text) });
        const result = sampled.result("", response.metadata.stopReason, promptTokens.length);
        // A forced answer always carries its calls, even cut off at the token limit, so the cut shows.
        return { ...result, finishReason: result.finishReason === "length" ? "length" : "tool_calls", toolCalls: calls.result() };
      }
      if (plan.kind === "native-tools") {
        const native = new NativeToolCalls(request.onToolCall);
        const response = await chat.generateResponse(plan.history, {
          ...options,
          functions: plan.functions,
          maxParallelFunctionCalls: plan.parallel ? undefined : 1,
          onFunctionCallParamsChunk: (chunk) => native.push(chunk),
        });
        const result = sampled.result(response.response, response.metadata.stopReason, promptTokens.length, stopTriggerOf(response.metadata));
        const toolCalls = native.result(response.functionCalls ?? []);
        return toolCalls.length > 0 ? { ...result, finishReason: "tool_calls", toolCalls } : result;
      }
      const response = await chat.generateResponse(plan.history, { ...options, grammar });
      return sampled.result(response.response, response.metadata.stopReason, promptTokens.length, stopTriggerOf(response.metadata));
    } finally {
      chat.dispose({ disposeSequence: false });
    }
  }

  /** Continues a raw prompt, with no template. */
  async complete(request: CompletionRequest): Promise<GenerationResult> {
    // As llama.cpp's server tokenizes a prompt: special-token text (`</s>`, `<|fim_prefix|>`) becomes
    // its token, and the first word keeps its leading-space marker (`▁Once`, not `O n ce`).
    return this.completeTokens(request, this.model.tokenize(request.prompt, true));
  }

  /**
   * Fills in the middle between `request.prefix` and `request.suffix` with the model's FIM tokens
   * (infill-prompt.ts). Prefix, suffix and files are read as plain text; the `prompt` continuing
   * the prefix parses special-token markup, as llama.cpp's server reads them.
   * @throws ShimmyError `model_lacks_infill` when the vocabulary has no FIM tokens.
   */
  async infill(request: InfillRequest): Promise<GenerationResult> {
    const fim = fimTokensOf(this.model);
    if (!fim) {
      throw new ShimmyError(
        "model_lacks_infill",
        `The model "${this.id}" cannot fill in the middle: its vocabulary has no FIM prefix, suffix and middle tokens ` +
          "(tokenizer.ggml.fim_pre_token_id, fim_suf_token_id, fim_mid_token_id). Use a code model trained for it, such as Qwen2.5-Coder.",
        { param: "model" },
      );
    }
    const plain = (text: string) => this.model.tokenize(text, false);
    const pieces = {
      prefix: plain(request.prefix), prompt: this.model.tokenize(request.prompt ?? "", true), suffix: plain(request.suffix),
      files: fileContextTokens(request.files ?? [], fim, plain),
    };
    // The files get what the context leaves after the rest of the prompt and the answer's room.
    const fixed = infillPromptTokens(pieces, fim, 0).length + (this.model.tokens.shouldPrependBosToken ? 1 : 0);
    const answerRoom = request.sampling.maxTokens ?? Math.floor(this.contextSize / 4);
    return this.completeTokens(request, infillPromptTokens(pieces, fim, this.contextSize - fixed - answerRoom));
  }

  /** Continues `input` (BOS added when the model wants one) on a slot. */
  private completeTokens(request: GenerationOptions, input: Token[]): Promise<GenerationResult> {
    const { tokens: special } = this.model;
    const bos = special.shouldPrependBosToken ? special.bos : null;
    const promptTokens = bos != null ? [bos, ...input] : input;
    const maxTokens = this.maxTokensFor(promptTokens.length, request, "prompt");
    return this.withSlot(request, promptTokens, async (sequence) => {
      // As for chat: what the slot's cache already held, measured before generating.
      const reused = Math.min(commonPrefixLength(sequence.contextTokens, promptTokens), promptTokens.length - 1);
      const completion = new LlamaCompletion({ contextSequence: sequence, autoDisposeSequence: false });
      const sampled = new SampledTokens(sequence);
      try {
        // Never more than maxTokens sampled: patches/node-llama-cpp+3.22.1.patch.
        const response = await completion.generateCompletionWithMeta(input, {
          ...this.generationOptions(request, maxTokens),
          disableContextShift: true,
        });
        const result = sampled.result(response.response, response.metadata.stopReason, promptTokens.length, stopTriggerOf(response.metadata));
        return { ...result, promptTokensEvaluated: promptTokens.length - reused, promptTokensReused: reused };
      } finally {
        completion.dispose({ disposeSequence: false });
      }
    });
  }

  /** Frees the context, its sequences and the weights; waiting requests are refused. */
  async dispose(): Promise<void> {
    this.slots.rejectWaiters(retryLater("The model is being unloaded; retry shortly."));
    await this.embedder.dispose();
    await this.context.dispose();
    await this.model.dispose();
  }

  /**
   * The options chat and raw completions share: sampling, the token limit, abort (returning what
   * was generated so its tokens are counted) and streaming.
   */
  private generationOptions(request: GenerationOptions, maxTokens: number) {
    return {
      ...toLlamaSampling(request.sampling, this.model),
      maxTokens,
      signal: request.signal,
      stopOnAbortSignal: true,
      onTextChunk: request.onText,
    };
  }

  /** Caps the answer at what the slot's context has left after the prompt; refuses a prompt that does not fit. */
  private maxTokensFor(promptLength: number, request: GenerationOptions, param: string): number {
    if (promptLength >= this.contextSize) {
      throw new ShimmyError(
        "context_length_exceeded",
        `This model's context holds ${this.contextSize} tokens per slot, but the prompt has ${promptLength} tokens ` +
          `(and the answer needs at least one more). Shorten the ${param} or start the server with a larger --ctx-size.`,
        { param },
      );
    }
    const room = this.contextSize - promptLength;
    return Math.min(request.sampling.maxTokens ?? room, room);
  }

  private async withSlot<T>(
    request: GenerationOptions,
    promptTokens: readonly Token[],
    run: (sequence: LlamaContextSequence) => Promise<T>,
  ): Promise<T> {
    const lease = await this.slots.acquire(request.signal, slotWithLongestPrefix(promptTokens));
    try {
      return await run(lease.slot);
    } finally {
      lease.release();
    }
  }
}
