/**
 * Converters from validated OpenAI request bodies to the engine's wire-neutral types.
 * They assume the body passed `validate.ts` and never throw.
 */

import type { ChatTurn, SamplingParams } from "../engine/types.js";
import type {
  ChatCompletionMessage,
  ChatMessageContent,
  SamplingRequestFields,
  TextCompletionRequest,
} from "./types.js";

/**
 * Normalises chat messages to engine turns: `developer` becomes `system`, text parts are joined
 * with no separator (as OpenAI does), an assistant's `tool_calls` become `toolCalls` with the
 * arguments kept as text, and an assistant turn without content gets the text "".
 */
export function toChatTurns(messages: readonly ChatCompletionMessage[]): ChatTurn[] {
  return messages.map((message): ChatTurn => {
    switch (message.role) {
      case "system":
      case "developer":
        return { role: "system", text: contentText(message.content) };
      case "user":
        return { role: "user", text: contentText(message.content) };
      case "assistant":
        return {
          role: "assistant",
          text: contentText(message.content),
          toolCalls: (message.tool_calls ?? []).map((call) => ({
            id: call.id,
            name: call.function.name,
            arguments: call.function.arguments,
          })),
        };
      case "tool":
        return { role: "tool", toolCallId: message.tool_call_id, text: contentText(message.content) };
    }
  });
}

/** The text of a message's content; null or absent (a tool-calling assistant turn) is "". */
export function contentText(content: ChatMessageContent | null | undefined): string {
  if (content === null || content === undefined) return "";
  if (typeof content === "string") return content;
  return content.map((part) => part.text).join("");
}

/**
 * The engine's sampling settings of a request: nulls are dropped (the engine's defaults apply),
 * `max_completion_tokens` wins over `max_tokens`, `stop` becomes an array and `logit_bias` keys
 * become token-id numbers.
 */
export function toSamplingParams(request: SamplingRequestFields): SamplingParams {
  const params: SamplingParams = { stop: toStopSequences(request.stop) };
  const maxTokens = request.max_completion_tokens ?? request.max_tokens;
  if (maxTokens != null) params.maxTokens = maxTokens;
  if (request.temperature != null) params.temperature = request.temperature;
  if (request.top_p != null) params.topP = request.top_p;
  if (request.top_k != null) params.topK = request.top_k;
  if (request.min_p != null) params.minP = request.min_p;
  if (request.seed != null) params.seed = request.seed;
  if (request.presence_penalty != null) params.presencePenalty = request.presence_penalty;
  if (request.frequency_penalty != null) params.frequencyPenalty = request.frequency_penalty;
  if (request.logit_bias != null) {
    const entries = Object.entries(request.logit_bias);
    // An empty map biases nothing; leaving it out keeps the engine's fast path.
    if (entries.length > 0) {
      params.logitBias = Object.fromEntries(entries.map(([token, bias]) => [Number(token), bias]));
    }
  }
  return params;
}

/** `stop` as the engine wants it: always an array, empty when absent. */
export function toStopSequences(stop: string | string[] | null | undefined): string[] {
  if (stop === null || stop === undefined) return [];
  return typeof stop === "string" ? [stop] : [...stop];
}

/** The one prompt of a legacy completion request, whether sent as a string or a one-string array. */
export function toPrompt(request: Pick<TextCompletionRequest, "prompt">): string {
  return typeof request.prompt === "string" ? request.prompt : request.prompt[0];
}

/** Whether the request asked for a streamed (SSE) answer; absent and null mean no. */
export function wantsStream(request: Pick<SamplingRequestFields, "stream">): boolean {
  return request.stream === true;
}

/** Whether a streamed answer must end with a usage chunk (`stream_options.include_usage`). */
export function wantsUsageChunk(request: Pick<SamplingRequestFields, "stream_options">): boolean {
  return request.stream_options?.include_usage === true;
}
