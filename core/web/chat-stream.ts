/**
 * One streamed chat completion: `POST /v1/chat/completions` with `stream: true`, its server-sent
 * events read from the response body as they come (the CLI's reader, core/src/cli/sse.ts), each
 * chunk folded into the answer so far. Aborting the signal closes the connection, and the server
 * stops generating.
 */
import { readSseData } from "../src/cli/sse.js";
import { ApiError, request } from "./api.js";
import type { ClientToolCall } from "./trace.js";
import type { ChatChunk, TraceEntry } from "./wire.js";

/** The answer as far as it has come. */
export interface Answer {
  text: string;
  trace: TraceEntry[];
  clientCalls: ClientToolCall[];
  usage: { prompt_tokens: number; completion_tokens: number } | null;
  finishReason: string | null;
}

/** Folds one chunk into `answer`. */
export function applyChunk(answer: Answer, chunk: ChatChunk): void {
  if (chunk.error) throw new ApiError(0, chunk.error);
  if (chunk.tool_trace) answer.trace.push(...chunk.tool_trace);
  if (chunk.usage) answer.usage = chunk.usage;
  for (const choice of chunk.choices ?? []) {
    if (choice.delta?.content) answer.text += choice.delta.content;
    for (const delta of choice.delta?.tool_calls ?? []) {
      const call = (answer.clientCalls[delta.index] ??= { id: "", name: "", arguments: "" });
      if (delta.id) call.id = delta.id;
      if (delta.function?.name) call.name = delta.function.name;
      if (delta.function?.arguments) call.arguments += delta.function.arguments;
    }
    if (choice.finish_reason) answer.finishReason = choice.finish_reason;
  }
}

/**
 * Sends `body` (a chat completion request; `stream` is set here) and calls `onUpdate` after each
 * chunk; resolves to the whole answer. On abort it rejects with the AbortError, and `answer` keeps
 * what had come.
 */
export async function streamChat(body: Record<string, unknown>, answer: Answer, signal: AbortSignal, onUpdate: () => void): Promise<Answer> {
  const response = await request("POST", "/v1/chat/completions", {
    body: { ...body, stream: true, stream_options: { include_usage: true } },
    signal,
    accept: "text/event-stream",
  });
  if (!response.body) throw new ApiError(response.status, { message: "The server sent no answer." });
  for await (const data of readSseData(response.body)) {
    if (data === "[DONE]") break;
    applyChunk(answer, JSON.parse(data) as ChatChunk);
    onUpdate();
  }
  return answer;
}

/** An empty answer to stream into. */
export function newAnswer(): Answer {
  return { text: "", trace: [], clientCalls: [], usage: null, finishReason: null };
}
