/**
 * The messages between the server and a model's runner process, in one place. They travel over
 * the IPC channel `child_process.fork` opens with `serialization: "advanced"` (V8's structured
 * clone): binary-safe, so embeddings cross as Float32Arrays, not JSON number lists. Every message
 * that belongs to a request carries its request id; a chat session's rounds carry the session id.
 * Requests cross without their functions and signal: streaming is a flag, and an abort is a message.
 */
import { ShimmyError, type ErrorCode } from "../../errors.js";
import { GenerationAborted } from "../types.js";
import type { LoadedModelOptions } from "../loaded-model.js";
import type {
  ChatRequest, ChatRoundRequest, CompletionRequest, EmbeddingRequest, EmbeddingResult, GenerationResult, InfillRequest, SlotStatus, ToolCallDelta,
} from "../types.js";

/** What a runner needs to load its one model (LoadedModel's options, and the backend); passed as its first argument, as JSON. */
export type RunnerInit = Omit<LoadedModelOptions, "onLoadProgress"> & {
  /** `off`, `auto` or a backend, as `--gpu`. */
  gpu: string;
};

/** A request as it crosses: no signal, no callbacks, no keep-alive (the pool keeps that). */
export type Wire<T> = Omit<T, "signal" | "onText" | "onToolCall" | "keepAlive" | "model">;

/** Whether the runner should stream text and tool-call deltas back. */
export interface StreamFlags {
  text: boolean;
  toolCalls: boolean;
}

/** The work a request asks of a runner, by kind. */
export type RunnerCall =
  | { kind: "chat"; request: Wire<ChatRequest>; stream: StreamFlags }
  | { kind: "complete"; request: Wire<CompletionRequest>; stream: StreamFlags }
  | { kind: "infill"; request: Wire<InfillRequest>; stream: StreamFlags }
  | { kind: "countChatTokens"; request: Wire<ChatRequest> }
  | { kind: "embed"; request: Wire<EmbeddingRequest> }
  | { kind: "round"; session: number; request: Wire<ChatRoundRequest>; stream: StreamFlags };

/** Server → runner. */
export type ToRunner =
  | { type: "call"; id: number; call: RunnerCall }
  /** Aborts a request: its generation stops, or it leaves the slot queue; the slot is free again. */
  | { type: "abort"; id: number }
  /** Opens a chat session: one slot kept across its rounds. */
  | { type: "session_open"; session: number }
  /** Aborts the session's round in progress and its wait for a slot. */
  | { type: "session_abort"; session: number }
  /** Hands the session's slot back. */
  | { type: "session_release"; session: number }
  /** Ends the runner: it frees the model and exits. */
  | { type: "dispose" };

/** An error as it crosses: enough to throw the same one again on the server's side. */
export interface WireError {
  name: string;
  message: string;
  /** A ShimmyError's code and param. */
  code?: string;
  param?: string | null;
  headers?: Record<string, string>;
  /** A GenerationAborted's token counts. */
  promptTokens?: number;
  completionTokens?: number;
}

/** What the runner reports of itself once loaded and as its slots change. */
export interface RunnerReport {
  slots: SlotStatus;
  /** The runner's resident memory, where /proc cannot be read. */
  rssBytes: number;
}

/** The value of a finished call, by kind. */
export type CallValue = GenerationResult | EmbeddingResult | number;

/** Runner → server. */
export type FromRunner =
  | { type: "progress"; progress: number }
  | ({ type: "ready"; contextSize: number; chatFormat: string; gpu: string } & RunnerReport)
  /** Loading failed; `stage` says whether the weights (the probe's verdict) or the context did. */
  | { type: "load_failed"; stage: "weights" | "context"; error: WireError }
  | { type: "text"; id: number; text: string }
  | { type: "tool_call"; id: number; delta: ToolCallDelta }
  | { type: "result"; id: number; value: CallValue }
  | { type: "error"; id: number; error: WireError }
  | ({ type: "report" } & RunnerReport);

/** A request without what cannot or need not cross. */
export function toWire<T extends object>(request: T): Wire<T> {
  const { signal: _signal, onText: _onText, onToolCall: _onToolCall, keepAlive: _keepAlive, model: _model, ...rest } = request as T & {
    signal?: unknown; onText?: unknown; onToolCall?: unknown; keepAlive?: unknown; model?: unknown;
  };
  return rest as Wire<T>;
}

/** Which of a request's deltas (text, tool calls) the runner should send back as they come. */
export function streamFlags(request: { onText?: unknown; onToolCall?: unknown }): StreamFlags {
  return { text: request.onText !== undefined, toolCalls: request.onToolCall !== undefined };
}

/** Any thrown value as it crosses. */
export function toWireError(err: unknown): WireError {
  if (err instanceof GenerationAborted) return { name: err.name, message: err.message, promptTokens: err.promptTokens, completionTokens: err.completionTokens };
  if (err instanceof ShimmyError) return { name: err.name, message: err.message, code: err.code, param: err.param, headers: err.headers };
  if (err instanceof Error) return { name: err.name, message: err.message };
  return { name: "Error", message: String(err) };
}

/** The error a {@link WireError} was: a ShimmyError with its code, a GenerationAborted with its counts, or a plain Error. */
export function fromWireError(wire: WireError): Error {
  if (wire.name === "GenerationAborted") return new GenerationAborted(wire.promptTokens ?? 0, wire.completionTokens ?? 0);
  if (wire.code) return new ShimmyError(wire.code as ErrorCode, wire.message, { param: wire.param ?? undefined, headers: wire.headers });
  const err = new Error(wire.message);
  err.name = wire.name;
  return err;
}
