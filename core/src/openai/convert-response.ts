/**
 * Builders of non-streaming OpenAI answers from an engine {@link GenerationResult}, and of the ids
 * they carry.
 */

import { randomId } from "../ids.js";
import type { GenerationResult } from "../engine/types.js";
import type { ChatCompletionResponse, ChatCompletionResponseMessage, CompletionUsage, TextCompletionResponse } from "./types.js";

/** What every answer (and every chunk of a stream) carries besides its choices. */
export interface ResponseMeta {
  /** From {@link newCompletionId}; the same for every chunk of one stream. */
  id: string;
  /** Seconds since the epoch, taken once when the request started. */
  created: number;
  /** The model id as the client sent it. */
  model: string;
  /** Included only when given. */
  systemFingerprint?: string;
}

/**
 * A fresh id such as `chatcmpl-…` or `cmpl-…`: the prefix, a dash and 24 random alphanumerics,
 * which is OpenAI's look.
 */
export function newCompletionId(prefix: string): string {
  return randomId(`${prefix}-`);
}

/** The current time in seconds since the epoch, for `created`. */
export function unixSeconds(now: number = Date.now()): number {
  return Math.floor(now / 1000);
}

/** OpenAI's `usage` of a finished generation. */
export function toUsage(result: Pick<GenerationResult, "promptTokens" | "completionTokens">): CompletionUsage {
  return {
    prompt_tokens: result.promptTokens,
    completion_tokens: result.completionTokens,
    total_tokens: result.promptTokens + result.completionTokens,
  };
}

/** The fields every answer and chunk opens with: id, object, created, model, and a fingerprint if any. */
export function responseHead<const O extends string>(meta: ResponseMeta, object: O) {
  return { id: meta.id, object, created: meta.created, model: meta.model, ...fingerprint(meta) };
}

/** A non-streaming `chat.completion` answer with one choice. */
export function chatCompletionResponse(input: ResponseMeta & { result: GenerationResult }): ChatCompletionResponse {
  const { result } = input;
  return {
    ...responseHead({ ...input, model: result.model ?? input.model }, "chat.completion"),
    choices: [
      {
        index: 0,
        message: assistantMessage(result),
        logprobs: null,
        finish_reason: result.finishReason,
      },
    ],
    usage: toUsage(result),
  };
}

/** The answer's message: its text, or its tool calls with `content` null when it has no text. */
function assistantMessage(result: GenerationResult): ChatCompletionResponseMessage {
  if (!result.toolCalls || result.toolCalls.length === 0) return { role: "assistant", content: result.text, refusal: null };
  return {
    role: "assistant",
    content: result.text === "" ? null : result.text,
    refusal: null,
    tool_calls: result.toolCalls.map((call) => ({ id: call.id, type: "function", function: { name: call.name, arguments: call.arguments } })),
  };
}

/** A non-streaming `text_completion` answer (legacy `/v1/completions`) with one choice. */
export function completionResponse(input: ResponseMeta & { result: GenerationResult }): TextCompletionResponse {
  const { result } = input;
  return {
    ...responseHead({ ...input, model: result.model ?? input.model }, "text_completion"),
    choices: [{ text: result.text, index: 0, logprobs: null, finish_reason: result.finishReason }],
    usage: toUsage(result),
  };
}

/** `{system_fingerprint}` when one is given, else nothing: OpenAI omits it rather than sending null. */
export function fingerprint(meta: Pick<ResponseMeta, "systemFingerprint">): { system_fingerprint?: string } {
  return meta.systemFingerprint === undefined ? {} : { system_fingerprint: meta.systemFingerprint };
}
