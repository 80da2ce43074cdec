/**
 * An {@link Engine} without llama.cpp, for in-process tests of the HTTP layers: deterministic text,
 * token counts, tool calls and vectors, with delays and failures the test controls. It keeps the
 * engine's contract where routes depend on it: unknown models are `model_not_found`, text streams
 * through `onText` in the pieces that make up `text`, an aborted signal rejects with
 * {@link GenerationAborted}, and `maxTokens` cuts the answer with `finishReason: "length"`.
 */
import { ShimmyError } from "../errors.js";
import type { DiscoveredModel } from "../models/types.js";
import type {
  ChatRequest, ChatSession, ChatSessionOptions, CompletionRequest, EmbeddingRequest, EmbeddingResult, Engine, GeneratedToolCall, GenerationOptions, GenerationResult,
  InfillRequest, LoadModelOptions, ModelInfo, ModelState, SlotStatus, ToolCallDelta,
} from "./types.js";
import { GenerationAborted } from "./types.js";

/** What the fake answers to one generation request; text is split into tokens at spaces. */
export interface FakeAnswer {
  text?: string;
  /** Tool calls to make (ids are assigned in order: `call_fake_0`, …). */
  toolCalls?: { name: string; arguments: string }[];
}

/** Options of {@link FakeEngine}. */
export interface FakeEngineOptions {
  /** @default one chat model `fake-chat` and one embedding model `fake-embed` */
  models?: readonly DiscoveredModel[];
  /**
   * The answer to a chat or completion request.
   * @default the last user turn (or the prompt) echoed back as `You said: TEXT`; with tools and a
   *   tool choice other than `none`, a call of the first (or named) tool with `{}`
   */
  answer?: (request: ChatRequest | CompletionRequest) => FakeAnswer;
  /** Wait before each token, in ms, so tests can abort or crowd a generation. @default 0 */
  tokenDelayMs?: number;
  /** Returns an error to throw instead of generating (or embedding); undefined to go on. */
  fail?: (request: ChatRequest | CompletionRequest | EmbeddingRequest) => unknown;
  /** The vector size of embeddings. @default 8 */
  dimensions?: number;
  /** Tokens of the prompt template around a chat's turns. @default 3 */
  templateTokens?: number;
}

/** A discovered model as the fake serves it. */
export function fakeModel(id: string, capabilities: DiscoveredModel["capabilities"] = ["chat", "completion"]): DiscoveredModel {
  return {
    id, path: `/fake/${id}.gguf`, source: "path", sizeBytes: 1_000_000, modifiedAt: 1_700_000_000, architecture: "fake", parameterCount: null,
    quantization: "F16", trainedContextLength: 2048, hasChatTemplate: capabilities.includes("chat"), capabilities,
  };
}

/** Tokens of `text` as the fake counts them: words. */
export function fakeTokens(text: string): string[] {
  return text.match(/\S+\s*/g) ?? [];
}

const words = (text: string): string[] => text.split(/\s+/).filter(Boolean);

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (ms <= 0 || signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });

/** An in-memory {@link Engine} for tests; see the module comment for what it keeps of the contract. */
export class FakeEngine implements Engine {
  private models: DiscoveredModel[];
  private aliases: Readonly<Record<string, string>> = {};
  private readonly loaded = new Set<string>();
  private readonly busy = new Map<string, number>();
  private readonly options: FakeEngineOptions;
  /** Chat sessions opened and released, for assertions that none is left holding a slot. */
  readonly sessions = { opened: 0, released: 0 };
  /** Every request the routes made, in order, for assertions. */
  readonly requests: (ChatRequest | CompletionRequest | EmbeddingRequest)[] = [];

  constructor(options: FakeEngineOptions = {}) {
    this.options = options;
    this.models = [...(options.models ?? [fakeModel("fake-chat"), fakeModel("fake-embed", ["embedding"])])];
  }

  listModels(): ModelInfo[] {
    return this.models.map((model) => ({ ...model, created: model.modifiedAt, contextSize: model.trainedContextLength ?? 2048 }));
  }

  setModels(models: readonly DiscoveredModel[], aliases: Readonly<Record<string, string>> = {}): void {
    this.models = [...models];
    this.aliases = aliases;
    for (const id of this.loaded) if (!models.some((m) => m.id === id)) this.loaded.delete(id);
  }

  modelState(id: string): ModelState {
    const loaded = this.loaded.has(this.resolve(id).id);
    return { loaded, memoryBytes: loaded ? 1_000_000 : null, expiresAt: null };
  }

  async loadModel(id: string, options: LoadModelOptions = {}): Promise<ModelState & { loadMs: number }> {
    const model = this.resolve(id);
    options.onProgress?.(0.5);
    options.onProgress?.(1);
    this.loaded.add(model.id);
    return { ...this.modelState(model.id), loadMs: 1 };
  }

  async unloadModel(id: string): Promise<boolean> {
    return this.loaded.delete(this.resolve(id).id);
  }

  chat(request: ChatRequest): Promise<GenerationResult> {
    return this.generate(request, this.promptWords(request).length, () => this.chatAnswer(request), request.onToolCall);
  }

  /**
   * A session whose rounds report as reused the words their prompt shares with the previous
   * round's prompt and answer, as a kept KV cache would.
   */
  async chatSession(options: ChatSessionOptions): Promise<ChatSession> {
    this.resolve(options.model);
    this.sessions.opened++;
    let cached: string[] = [];
    let released = false;
    return {
      chat: async (round) => {
        if (released) throw new Error("chat session already released");
        const request: ChatRequest = { ...round, model: options.model, signal: options.signal, ...(options.keepAlive === undefined ? {} : { keepAlive: options.keepAlive }) };
        const prompt = this.promptWords(request);
        let shared = 0;
        while (shared < Math.min(cached.length, prompt.length) && cached[shared] === prompt[shared]) shared++;
        const reused = Math.min(shared, prompt.length - 1);
        const result = await this.chat(request);
        cached = [...prompt, ...words(result.text)];
        return { ...result, promptTokensEvaluated: prompt.length - reused, promptTokensReused: reused };
      },
      release: () => {
        if (!released) this.sessions.released++;
        released = true;
      },
    };
  }

  /** The fake's prompt words of a chat request (template tokens included). */
  async countChatTokens(request: ChatRequest): Promise<number> {
    this.resolve(request.model);
    return this.promptWords(request).length;
  }

  complete(request: CompletionRequest): Promise<GenerationResult> {
    return this.generate(request, fakeTokens(request.prompt).length, () => this.options.answer?.(request) ?? { text: `You said: ${request.prompt}` });
  }

  /** As a completion of the prefix, counting three FIM tokens around prefix, prompt and suffix; every fake model can. */
  infill(request: InfillRequest): Promise<GenerationResult> {
    const promptTokens = 3 + fakeTokens(request.prefix + (request.prompt ?? "")).length + fakeTokens(request.suffix).length;
    return this.generate(request, promptTokens, () => ({ text: `You said: ${request.prefix}` }));
  }

  async embed(request: EmbeddingRequest): Promise<EmbeddingResult> {
    this.requests.push(request);
    this.resolve(request.model);
    const failure = this.options.fail?.(request);
    if (failure !== undefined) throw failure;
    const dimensions = this.options.dimensions ?? 8;
    if (request.dimensions !== undefined && request.dimensions !== dimensions) {
      throw new ShimmyError("invalid_parameter", `dimensions must be ${dimensions} for this model`, { param: "dimensions" });
    }
    const vectors = request.inputs.map((input) => fakeVector(typeof input === "string" ? input : input.join(","), dimensions));
    const promptTokens = request.inputs.reduce((sum, input) => sum + (typeof input === "string" ? fakeTokens(input).length : input.length), 0);
    return { vectors, promptTokens, dimensions };
  }

  slotStatus(): SlotStatus[] {
    return [...this.loaded].map((model) => ({ model, slots: 1, busy: this.busy.get(model) ?? 0, waiting: 0 }));
  }

  async dispose(): Promise<void> {
    this.loaded.clear();
  }

  /** A chat prompt as the fake tokenizes it: template tokens, then the words of every turn. */
  private promptWords(request: ChatRequest): string[] {
    const template = Array.from({ length: this.options.templateTokens ?? 3 }, () => "<template>");
    return [...template, ...request.turns.flatMap((turn) => words(turn.text))];
  }

  private chatAnswer(request: ChatRequest): FakeAnswer {
    if (this.options.answer) return this.options.answer(request);
    const choice = request.toolChoice ?? { mode: "auto" };
    const tools = request.tools ?? [];
    if (tools.length > 0 && choice.mode !== "none") {
      const name = choice.mode === "named" ? choice.name : tools[0]!.name;
      return { toolCalls: [{ name, arguments: "{}" }] };
    }
    const lastUser = [...request.turns].reverse().find((turn) => turn.role === "user");
    return { text: `You said: ${lastUser?.text ?? ""}` };
  }

  /** Streams the answer token by token, honouring the signal, `maxTokens` and stop sequences. */
  private async generate(
    request: GenerationOptions, promptTokens: number, answerOf: () => FakeAnswer, onToolCall?: (delta: ToolCallDelta) => void,
  ): Promise<GenerationResult> {
    this.requests.push(request as ChatRequest | CompletionRequest);
    const model = this.resolve(request.model);
    const failure = this.options.fail?.(request as ChatRequest | CompletionRequest);
    if (failure !== undefined) throw failure;
    this.loaded.add(model.id);
    this.busy.set(model.id, (this.busy.get(model.id) ?? 0) + 1);
    try {
      const answer = answerOf();
      const { text, cut, completionTokens, stopSequence } = await this.stream(request, answer.text ?? "", promptTokens);
      if (answer.toolCalls && !cut) {
        const toolCalls: GeneratedToolCall[] = answer.toolCalls.map((call, index) => ({ id: `call_fake_${index}`, ...call }));
        toolCalls.forEach((call, index) => {
          onToolCall?.({ index, id: call.id, name: call.name });
          onToolCall?.({ index, arguments: call.arguments });
        });
        return { text, toolCalls, finishReason: "tool_calls", promptTokens, completionTokens: completionTokens + toolCalls.length };
      }
      return { text, finishReason: cut ? "length" : "stop", promptTokens, completionTokens, ...(stopSequence && !cut ? { stopSequence } : {}) };
    } finally {
      this.busy.set(model.id, (this.busy.get(model.id) ?? 1) - 1);
    }
  }

  private async stream(request: GenerationOptions, full: string, promptTokens: number): Promise<{ text: string; cut: boolean; completionTokens: number; stopSequence?: string }> {
    const stopAt = Math.min(...request.sampling.stop.map((stop) => full.indexOf(stop)).filter((i) => i >= 0), full.length);
    const stopSequence = request.sampling.stop.find((stop) => full.indexOf(stop) === stopAt);
    const tokens = fakeTokens(full.slice(0, stopAt));
    const limit = request.sampling.maxTokens ?? Infinity;
    let text = "";
    let count = 0;
    for (const token of tokens) {
      if (count >= limit) break;
      await sleep(this.options.tokenDelayMs ?? 0, request.signal);
      if (request.signal.aborted) throw new GenerationAborted(promptTokens, count);
      text += token;
      count++;
      request.onText?.(token);
    }
    return { text, cut: count < tokens.length, completionTokens: count, ...(stopSequence === undefined ? {} : { stopSequence }) };
  }

  private resolve(id: string): DiscoveredModel {
    const model = this.models.find((m) => m.id === id) ?? this.models.find((m) => m.id === this.aliases[id]);
    if (!model) {
      throw new ShimmyError("model_not_found", `The model "${id}" does not exist (GET /v1/models lists them).`, { param: "model" });
    }
    return model;
  }
}

/** A unit vector that depends only on `text`, so equal inputs embed equally. */
function fakeVector(text: string, dimensions: number): Float32Array {
  const vector = new Float32Array(dimensions);
  for (let i = 0; i < text.length; i++) vector[i % dimensions]! += text.charCodeAt(i);
  const norm = Math.hypot(...vector) || 1;
  return vector.map((v) => v / norm);
}
