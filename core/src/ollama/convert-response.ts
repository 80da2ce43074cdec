/**
 * Builders of Ollama's answers and stream lines from an engine {@link GenerationResult}: the chunks
 * of `/api/chat` and `/api/generate`, and the timings Ollama reports in nanoseconds.
 */
import type { FinishReason, GeneratedToolCall, GenerationResult } from "../engine/types.js";
import type { OllamaAnswerMessage, OllamaChatChunk, OllamaDoneFields, OllamaGenerateChunk, OllamaToolCall } from "./types.js";

/** The moments of one generation, as `performance.now()` milliseconds. */
export interface GenerationTimes {
  /** The request arrived. */
  startedAt: number;
  /** The model was loaded (equal to `startedAt` when it already was). */
  loadedAt: number;
  /** The first token came out; absent when none did. */
  firstOutputAt?: number;
  /** The generation finished. */
  endedAt: number;
}

const nanoseconds = (ms: number) => Math.max(0, Math.round(ms * 1e6));

/**
 * Ollama's closing fields. Prompt evaluation is the time from the load to the first token, and
 * generation the time from there to the end, as llama.cpp's timings split them.
 */
export function doneFields(result: Pick<GenerationResult, "promptTokens" | "completionTokens" | "finishReason">, times: GenerationTimes): OllamaDoneFields {
  const firstOutputAt = times.firstOutputAt ?? times.endedAt;
  return {
    done: true,
    done_reason: toDoneReason(result.finishReason),
    total_duration: nanoseconds(times.endedAt - times.startedAt),
    load_duration: nanoseconds(times.loadedAt - times.startedAt),
    prompt_eval_count: result.promptTokens,
    prompt_eval_duration: nanoseconds(firstOutputAt - times.loadedAt),
    eval_count: result.completionTokens,
    eval_duration: nanoseconds(times.endedAt - firstOutputAt),
  };
}

/** Ollama's `done_reason`: it ends a tool-calling answer with `stop`. */
export function toDoneReason(reason: FinishReason): "stop" | "length" {
  return reason === "length" ? "length" : "stop";
}

/**
 * Ollama's tool calls: arguments as a JSON object. Arguments that do not parse (a forced call cut
 * off by the token limit) are kept as their text, which is all there is to show.
 */
export function toOllamaToolCalls(calls: readonly GeneratedToolCall[]): OllamaToolCall[] {
  return calls.map((call, index) => ({ function: { index, name: call.name, arguments: parseArguments(call.arguments) } }));
}

function parseArguments(text: string): Record<string, unknown> | string {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : text;
  } catch {
    return text;
  }
}

/** The assistant message of an answer: its text, and its tool calls when it made some. */
export function answerMessage(text: string, toolCalls: readonly GeneratedToolCall[] | undefined): OllamaAnswerMessage {
  return toolCalls && toolCalls.length > 0 ? { role: "assistant", content: text, tool_calls: toOllamaToolCalls(toolCalls) } : { role: "assistant", content: text };
}

/** What every line of one answer carries: the model as the client named it, and the time. */
export interface ChunkHead {
  model: string;
}

const now = () => new Date().toISOString();

/** A `/api/chat` stream line with some text or tool calls. */
export function chatDelta(head: ChunkHead, message: OllamaAnswerMessage): OllamaChatChunk {
  return { model: head.model, created_at: now(), message, done: false };
}

/** The last `/api/chat` line, or the whole non-streamed answer when `message` holds it all. */
export function chatDone(head: ChunkHead, message: OllamaAnswerMessage, done: OllamaDoneFields): OllamaChatChunk {
  return { model: head.model, created_at: now(), message, ...done };
}

/** A `/api/generate` stream line with some text. */
export function generateDelta(head: ChunkHead, text: string): OllamaGenerateChunk {
  return { model: head.model, created_at: now(), response: text, done: false };
}

/** The last `/api/generate` line, or the whole non-streamed answer when `text` holds it all. */
export function generateDone(head: ChunkHead, text: string, done: OllamaDoneFields): OllamaGenerateChunk {
  return { model: head.model, created_at: now(), response: text, ...done };
}

/** The answer to a request with nothing to generate, which loads (or with keep_alive 0, unloads) the model. */
export function loadDone(reason: "load" | "unload"): OllamaDoneFields {
  return {
    done: true, done_reason: reason, total_duration: 0, load_duration: 0,
    prompt_eval_count: 0, prompt_eval_duration: 0, eval_count: 0, eval_duration: 0,
  };
}
