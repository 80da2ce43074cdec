/**
 * The engine's interface: what the HTTP layers may ask of inference, in terms that belong to no
 * wire format (and the one error class it throws on purpose). OpenAI's routes (and later
 * Ollama's) convert to and from these types; only `core/src/engine/` knows node-llama-cpp.
 */
import type { DiscoveredModel } from "../models/types.js";
import type { EmbeddingRequest, EmbeddingResult } from "./embedding-types.js";
import type { KeepAlive } from "../config/duration.js";

export * from "./embedding-types.js";

/** A tool call the model made in an earlier assistant turn. */
export interface ToolCallTurn {
  /** The id the client knows the call by (`call_…`). */
  id: string;
  name: string;
  /** The arguments as the JSON text the model wrote. */
  arguments: string;
}

/** One turn of a chat, normalised from any wire format. */
export type ChatTurn =
  | { role: "system"; text: string }
  | { role: "user"; text: string }
  | { role: "assistant"; text: string; toolCalls: ToolCallTurn[] }
  | { role: "tool"; toolCallId: string; text: string };

/** Sampling and stopping settings of one generation. Absent fields take the engine's defaults. */
export interface SamplingParams {
  /** Most tokens to generate; the engine caps it at what the slot's context has left. */
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  minP?: number;
  seed?: number;
  /** Sequences that end the generation; never part of the returned text. */
  stop: string[];
  presencePenalty?: number;
  frequencyPenalty?: number;
  /** Token id to bias, -100 (never) to 100 (always), as OpenAI's `logit_bias`. */
  logitBias?: Record<number, number>;
}

/** Why a generation ended: naturally or at a stop sequence, at the token limit, or with tool calls. */
export type FinishReason = "stop" | "length" | "tool_calls";

/** A tool the model may call. `parameters` is a JSON Schema already reduced to what a grammar enforces. */
export interface ToolSpec {
  name: string;
  description?: string;
  parameters: object;
}

/**
 * Whether and how tools are used: `auto` lets the model call them in its own native format, `none`
 * hides them, `required` forces a call of some tool and `named` a call of that one.
 */
export type ToolChoice = { mode: "auto" } | { mode: "none" } | { mode: "required" } | { mode: "named"; name: string };

/** The shape the answer must have: free text, or JSON matching a (grammar-ready) schema. */
export type ResponseFormat = { type: "text" } | { type: "json_schema"; schema: object };

/** A tool call the model made in this answer. */
export interface GeneratedToolCall {
  /** `call_…`, fresh for each call. */
  id: string;
  name: string;
  /** The arguments as JSON text. */
  arguments: string;
}

/**
 * A piece of a tool call while it is generated: the first piece of each call carries its `id` and
 * `name`, later ones parts of its `arguments` text, which concatenate to the whole.
 */
export interface ToolCallDelta {
  index: number;
  id?: string;
  name?: string;
  arguments?: string;
}

/** The result of a finished generation. */
export interface GenerationResult {
  text: string;
  /**
   * The tool calls of the answer: present when the model called tools (`finishReason` is
   * `tool_calls`), and always for a forced call, where a cut-off answer (`length`) shows them partial.
   */
  toolCalls?: GeneratedToolCall[];
  finishReason: FinishReason;
  /** The model that served it, when a route chose it (`routing/routes/`); the request's model otherwise. */
  model?: string;
  /** Which of the request's stop sequences ended it, when one did (Anthropic's `stop_sequence`). */
  stopSequence?: string;
  /** Tokens of the whole prompt as the model saw it (template included). */
  promptTokens: number;
  /** Tokens the model generated, stop sequences included. */
  completionTokens: number;
  /**
   * Of `promptTokens`, those evaluated by this generation; a chat generation reports it (the rest
   * came from the slot's KV cache). Absent where the engine does not tell.
   */
  promptTokensEvaluated?: number;
  /** Of `promptTokens`, those whose KV cache the slot kept from an earlier request, when reported. */
  promptTokensReused?: number;
}

/**
 * Thrown when a generation's signal aborts it (its client left), with what it had used by then,
 * so the request's log line still counts its tokens.
 */
export class GenerationAborted extends Error {
  constructor(
    readonly promptTokens: number,
    readonly completionTokens: number,
  ) {
    super("generation aborted");
    this.name = "GenerationAborted";
  }
}

/** What every generation request carries besides its prompt. */
export interface GenerationOptions {
  /** The model id, as `listModels()` names it. */
  model: string;
  sampling: SamplingParams;
  /** Aborts the generation (client disconnect) or its wait for a slot. */
  signal: AbortSignal;
  /** Streams text as it is generated; the chunks concatenate to `GenerationResult.text`. */
  onText?: (text: string) => void;
  /** The model's keep-alive from this request on (Ollama's `keep_alive`). */
  keepAlive?: KeepAlive;
}

/** A chat generation: the turns are rendered with the model's own chat template. */
export interface ChatRequest extends GenerationOptions {
  turns: ChatTurn[];
  tools?: ToolSpec[];
  /** @default auto when tools are given */
  toolChoice?: ToolChoice;
  /** Whether one answer may hold several tool calls. @default whether the model's chat template writes several (llama.cpp server's default) */
  parallelToolCalls?: boolean;
  /** @default text */
  responseFormat?: ResponseFormat;
  /** Streams tool calls as they are generated. */
  onToolCall?: (delta: ToolCallDelta) => void;
}

/** One round of a {@link ChatSession}: a chat request whose model, signal and keep-alive are the session's. */
export type ChatRoundRequest = Omit<ChatRequest, "model" | "signal" | "keepAlive">;

/** A round's result, with how much of its prompt the slot's cache already held. */
export interface ChatRoundResult extends GenerationResult {
  /** Prompt tokens evaluated in this round (at least one: the last prompt token gives the first logits). */
  promptTokensEvaluated: number;
  /** Prompt tokens whose KV cache the slot kept from earlier rounds (or requests), not evaluated again. */
  promptTokensReused: number;
}

/** Options of {@link Engine.chatSession}. */
export interface ChatSessionOptions {
  /** The model id, as `listModels()` names it. */
  model: string;
  /** Aborts the round in progress and any wait for the slot. */
  signal: AbortSignal;
  /** The model's keep-alive from this session on. */
  keepAlive?: KeepAlive;
}

/**
 * Several chat generations, as a server-side tool loop needs: each round takes the slot whose cache
 * shares most of its prompt (the previous round's, when nothing else ran on it meanwhile) and
 * evaluates only the tokens it does not share. The model and the slot are held only while a round
 * generates, so the tools between rounds may ask any model; between rounds the model does not
 * expire, but may be unloaded for another model's load, and the next round loads it again. Rounds
 * run one at a time.
 */
export interface ChatSession {
  /** Generates one round; it waits for a slot (the one whose cache shares most of the prompt). */
  chat(request: ChatRoundRequest): Promise<ChatRoundResult>;
  /** Ends the session: the model's keep-alive counts from then on; idempotent. A round after it is refused. */
  release(): void;
}

/** A raw completion of a prompt, with no template. */
export interface CompletionRequest extends GenerationOptions {
  prompt: string;
}

/** A file given as context to a fill-in-the-middle completion (llama.cpp's `input_extra`). */
export interface InfillFile {
  /** @default "tmp", as llama.cpp names a chunk without one */
  filename?: string;
  text: string;
}

/**
 * A fill-in-the-middle completion: the answer is the text that goes between `prefix` and `suffix`,
 * prompted with the model's FIM tokens in llama.cpp's order (see `engine/infill-prompt.ts`).
 */
export interface InfillRequest extends GenerationOptions {
  /** The text before the gap. */
  prefix: string;
  /** The text after the gap. */
  suffix: string;
  /** Text that continues the prefix, with special-token markup read as tokens (llama.cpp's `/infill` `prompt`). @default "" */
  prompt?: string;
  /** Other files, put before the prefix; the oldest of their tokens are dropped when the context is short. @default none */
  files?: InfillFile[];
}

/** A model the engine can serve: what discovery found, and how it will be loaded. */
export interface ModelInfo extends DiscoveredModel {
  /** Seconds since the epoch of the file's modification, for OpenAI's `created`. */
  created: number;
  /** Tokens one slot holds when loaded. */
  contextSize: number;
  /** OpenAI's `owned_by` when not Shimmy's own file: the upstream server that serves it. */
  ownedBy?: string;
  /** For a model served by upstream servers: each one that may serve it, with its health and load. */
  upstreams?: UpstreamMemberStatus[];
}

/** One upstream server as a model it serves sees it: healthy or not, and how busy. */
export interface UpstreamMemberStatus {
  name: string;
  /** Whether its last health check (or request) passed; a failing one gets no requests. */
  healthy: boolean;
  /** Requests in flight to it now, all its models together. */
  outstanding: number;
  maxConcurrency: number;
  /** Why its last health check failed, while it is unhealthy. */
  error?: string;
}

/** Whether a model is loaded now, what it holds and when it unloads by itself. */
export interface ModelState {
  loaded: boolean;
  memoryBytes: number | null;
  /** Epoch ms; null when not loaded or kept loaded for good. */
  expiresAt: number | null;
  /** The process id of the runner that holds it, while loaded in one (engine/runner/). */
  runnerPid?: number | null;
  /** Its runner's last crash, when it had one since the server started (or its last explicit load). */
  lastCrash?: ModelCrash | null;
}

/** A runner that died by itself while it served a model. */
export interface ModelCrash {
  /** Epoch ms. */
  at: number;
  /** How it ended: "killed by SIGKILL", "exit code 134". */
  reason: string;
  /** Crashes without a successful request between; at 3 the model is refused until loaded explicitly. */
  inARow: number;
}

/** Options of an explicit load. */
export interface LoadModelOptions {
  /** Keep-alive from now on; the server's default when absent. */
  keepAlive?: KeepAlive;
  /** Load progress from 0 to 1. */
  onProgress?: (progress: number) => void;
}

/** The slots of one loaded model, right now. */
export interface SlotStatus {
  model: string;
  /** Slots the model has. */
  slots: number;
  /** Slots generating now. */
  busy: number;
  /** Requests waiting for a slot. */
  waiting: number;
}

/** Inference, as the HTTP layers see it. Implemented by `LlamaEngine`; tests may fake it. */
export interface Engine {
  /** Every model the engine knows, refused ones included (with `invalidReason`). */
  listModels(): ModelInfo[];
  /** Replaces the known models (after a rediscovery); loaded models whose file is gone are unloaded. */
  setModels(models: readonly DiscoveredModel[], aliases?: Readonly<Record<string, string>>): void;
  /** Whether a model is loaded, and its memory and expiry. */
  modelState(id: string): ModelState;
  /** Loads a model now. @throws ShimmyError as a request for it would. */
  loadModel(id: string, options?: LoadModelOptions): Promise<ModelState & { loadMs: number }>;
  /** Unloads a model once its requests finish; false when it was not loaded. */
  unloadModel(id: string): Promise<boolean>;
  /** Runs a chat generation in one of the model's slots, waiting in its queue if all are busy. */
  chat(request: ChatRequest): Promise<GenerationResult>;
  /**
   * Opens a session that keeps one slot (and its KV cache) across chat rounds. Resolves once the
   * model is loaded; the slot is taken on the first round. Always `release()` it, in `finally`.
   * @throws ShimmyError as `chat` would for an unknown or refused model.
   */
  chatSession(options: ChatSessionOptions): Promise<ChatSession>;
  /**
   * Tokens of the prompt `request` renders to (the model's chat template and tokenizer, its tools
   * included), without generating or taking a slot; loads the model when needed. Optional, so an
   * engine wrapper may leave it out: `anthropic/count-tokens.ts` then counts with a one-token chat.
   */
  countChatTokens?(request: ChatRequest): Promise<number>;
  /** Runs a raw completion, with the same slots and queue. */
  complete(request: CompletionRequest): Promise<GenerationResult>;
  /**
   * Runs a fill-in-the-middle completion, with the same slots and queue.
   * @throws ShimmyError `model_lacks_infill` when the model's vocabulary has no FIM tokens.
   */
  infill(request: InfillRequest): Promise<GenerationResult>;
  /** Embeds inputs in order, on the model's own embedding context and queue (not the chat slots). */
  embed(request: EmbeddingRequest): Promise<EmbeddingResult>;
  /** The slots of every loaded model. */
  slotStatus(): SlotStatus[];
  /** Aborts what runs and frees every model, context and slot. */
  dispose(): Promise<void>;
}
