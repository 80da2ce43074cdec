/**
 * Server-sent events of streamed answers: the chunks OpenAI sends, framed by `http/sse.ts` (every
 * event one `data: {json}\n\n` line pair, the stream ending with `data: [DONE]\n\n`).
 *
 * The stream builders return the exact strings to write, so a route stays a loop of writes:
 *
 * @example
 * const sse = createChatStream({ id, created, model, includeUsage });
 * write(sse.start());
 * const result = await engine.chat({ ..., onText: (t) => write(sse.text(t)) });
 * write(sse.finish(result.finishReason));
 * write(sse.usage(result));
 * write(SSE_DONE);
 */

import type { FinishReason, GenerationResult, ToolCallDelta } from "../engine/types.js";
import { sseData } from "../http/sse.js";
import { responseHead, toUsage, type ResponseMeta } from "./convert-response.js";
import type { ChatCompletionChunk, ChatCompletionChunkDelta, TextCompletionChunk } from "./types.js";

/** Options of a stream: the answer's metadata and whether a usage chunk ends it. */
export interface AnswerStreamOptions extends ResponseMeta {
  /** `stream_options.include_usage`: every chunk then carries `usage: null`, and a last one the usage. */
  includeUsage: boolean;
}

/** The events of one streamed answer, in the order a route writes them. */
export interface AnswerStream {
  /** The opening event: the assistant role for chat, nothing ("") for text completions. */
  start(): string;
  /** An event carrying generated text; "" for empty text, since an empty delta tells nothing. */
  text(text: string): string;
  /** An event carrying a piece of a tool call (chat only). */
  toolCall(delta: ToolCallDelta): string;
  /** The event with the finish reason and an empty delta (chat) or empty text (completions). */
  finish(reason: FinishReason): string;
  /** The usage event (`choices: []`) when `includeUsage`, else "". */
  usage(result: Pick<GenerationResult, "promptTokens" | "completionTokens">): string;
  /**
   * An event carrying `tool_trace` entries of server-side tool calls (chat only): a chunk with
   * `choices: []`, which OpenAI clients yield like the usage chunk, never a named event.
   */
  trace(entries: readonly unknown[]): string;
  /** Names the model that serves the answer (a route's choice) in this and every later event. */
  setModel?(model: string): void;
}

/** The events of a streamed chat completion (`chat.completion.chunk`). */
export function createChatStream(options: AnswerStreamOptions): AnswerStream {
  const chunk = (delta: ChatCompletionChunkDelta, finishReason: FinishReason | null): string => {
    const body: ChatCompletionChunk = {
      ...responseHead(options, "chat.completion.chunk"),
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    };
    if (options.includeUsage) body.usage = null;
    return sseData(body);
  };
  return {
    start: () => chunk({ role: "assistant", content: "" }, null),
    text: (text) => (text === "" ? "" : chunk({ content: text }, null)),
    toolCall: (delta) =>
      chunk(
        {
          tool_calls: [
            delta.id === undefined
              ? { index: delta.index, function: { arguments: delta.arguments ?? "" } }
              : { index: delta.index, id: delta.id, type: "function", function: { name: delta.name, arguments: "" } },
          ],
        },
        null,
      ),
    finish: (reason) => chunk({}, reason),
    usage: (result) =>
      options.includeUsage ? sseData({ ...responseHead(options, "chat.completion.chunk"), choices: [], usage: toUsage(result) }) : "",
    trace: (entries) =>
      sseData({ ...responseHead(options, "chat.completion.chunk"), choices: [], tool_trace: entries, ...(options.includeUsage ? { usage: null } : {}) }),
    setModel: (model) => (options = { ...options, model }),
  };
}

/** The events of a streamed legacy text completion; OpenAI names its chunks `text_completion`. */
export function createCompletionStream(options: AnswerStreamOptions): AnswerStream {
  const chunk = (text: string, finishReason: FinishReason | null): string => {
    const body: TextCompletionChunk = {
      ...responseHead(options, "text_completion"),
      choices: [{ text, index: 0, logprobs: null, finish_reason: finishReason }],
    };
    if (options.includeUsage) body.usage = null;
    return sseData(body);
  };
  return {
    start: () => "",
    text: (text) => (text === "" ? "" : chunk(text, null)),
    toolCall: () => "",
    finish: (reason) => chunk("", reason),
    usage: (result) =>
      options.includeUsage ? sseData({ ...responseHead(options, "text_completion"), choices: [], usage: toUsage(result) }) : "",
    trace: () => "",
    setModel: (model) => (options = { ...options, model }),
  };
}
