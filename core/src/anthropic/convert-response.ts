/**
 * Builders of Messages API answers from an engine {@link GenerationResult}: the non-streamed
 * message, its stop reason and usage, and the ids it carries. Pure; they never throw.
 */
import type { GenerationResult } from "../engine/types.js";
import { randomId } from "../ids.js";
import type { MessageResponse, MessageUsage, ResponseContentBlock, StopReason } from "./types.js";

/** What every answer carries besides its content. */
export interface MessageMeta {
  /** From {@link newMessageId}; the same in every event of one stream. */
  id: string;
  /** The model id as the client sent it. */
  model: string;
}

/** A fresh message id, `msg_` and 24 random alphanumerics. */
export function newMessageId(): string {
  return randomId("msg_");
}

/**
 * Anthropic's `stop_reason` of a finished generation: tool calls are `tool_use`, the token limit
 * `max_tokens`, one of the request's stop sequences `stop_sequence`, anything else `end_turn`.
 */
export function toStopReason(result: Pick<GenerationResult, "finishReason" | "stopSequence">): StopReason {
  if (result.finishReason === "tool_calls") return "tool_use";
  if (result.finishReason === "length") return "max_tokens";
  return result.stopSequence === undefined ? "end_turn" : "stop_sequence";
}

/** Anthropic's `usage`: the prompt as the model saw it (template included), and the tokens generated. */
export function toUsage(result: Pick<GenerationResult, "promptTokens" | "completionTokens">): MessageUsage {
  return { input_tokens: result.promptTokens, output_tokens: result.completionTokens };
}

/**
 * A tool call's arguments as the object Anthropic's `input` is. Arguments are JSON objects (the
 * grammar or the template's parser makes them so) except in a call cut off by `max_tokens`, whose
 * partial text parses to nothing: `{}` then, with `stop_reason` saying why.
 */
export function toToolInput(argumentsText: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(argumentsText);
    return parsed !== null && typeof parsed === "object" && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** The answer's blocks: its text (when it has some, or nothing else), then one `tool_use` per call. */
export function toContentBlocks(result: Pick<GenerationResult, "text" | "toolCalls">): ResponseContentBlock[] {
  const calls = result.toolCalls ?? [];
  const blocks: ResponseContentBlock[] = result.text !== "" || calls.length === 0 ? [{ type: "text", text: result.text }] : [];
  for (const call of calls) blocks.push({ type: "tool_use", id: call.id, name: call.name, input: toToolInput(call.arguments) });
  return blocks;
}

/** A non-streamed answer (`type: "message"`). */
export function messageResponse(meta: MessageMeta, result: GenerationResult): MessageResponse {
  const stopReason = toStopReason(result);
  return {
    id: meta.id,
    type: "message",
    role: "assistant",
    model: meta.model,
    content: toContentBlocks(result),
    stop_reason: stopReason,
    stop_sequence: stopReason === "stop_sequence" ? result.stopSequence! : null,
    usage: toUsage(result),
  };
}
