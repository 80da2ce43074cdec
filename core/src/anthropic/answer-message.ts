/**
 * Answers `POST /v1/messages` as one JSON message or as Anthropic's event stream, through the
 * driver every protocol shares (`http/answer-generation.ts`): the stream's headers wait for the
 * first output (or the end), so a failure before any output (unknown model, full queue, prompt too
 * long) is an ordinary error response with its status, in Anthropic's shape (`errors.ts`); a later
 * one ends the stream with an `error` event.
 */
import type { GenerationResult, ToolCallDelta } from "../engine/types.js";
import { answerGeneration } from "../http/answer-generation.js";
import { generationLog } from "../http/generation-answer.js";
import type { ShimmyContext } from "../http/request-context.js";
import { toolTraceField, type ToolLoopResult } from "../tools/tool-loop.js";
import type { ToolTraceEntry } from "../tools/tool-trace.js";
import { messageResponse, type MessageMeta } from "./convert-response.js";
import { sseErrorEvent } from "./errors.js";
import { MessageEventStream } from "./stream-events.js";

/** What {@link answerMessage} needs from the route. */
export interface AnswerMessageOptions {
  meta: MessageMeta;
  stream: boolean;
  /** Starts the generation, which streams through the callbacks (`onTrace`: the server's plugin calls, per round). */
  generate(onText: (text: string) => void, onToolCall: (delta: ToolCallDelta) => void, onTrace: (entries: ToolTraceEntry[]) => void): Promise<GenerationResult | ToolLoopResult>;
  /** Throws when the finished answer is not what was asked for (tool arguments that break their schema). */
  check(result: GenerationResult): void;
}

/** Runs the generation and writes the message on `ctx`. */
export async function answerMessage(ctx: ShimmyContext, options: AnswerMessageOptions): Promise<void> {
  const events = new MessageEventStream(options.meta);
  await answerGeneration(ctx, {
    notes: generationLog(ctx, options.meta.model, options.stream),
    stream: options.stream,
    generate: options.generate,
    // No trace events: a server-side round only opens the stream, since it can take a while before any text.
    events: { start: () => events.start(), text: (text) => events.text(text), toolCall: (delta) => events.toolCall(delta) },
    whole: (result) => {
      options.check(result);
      // Server-side plugin calls, as chat completions report them (`tool_trace`); absent otherwise.
      return { ...messageResponse(options.meta, result), ...toolTraceField(result) };
    },
    end: (result) => {
      options.check(result);
      return events.finish(result);
    },
    error: sseErrorEvent,
  });
}
