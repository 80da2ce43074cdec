/**
 * Answers a generation request either as one JSON body or as a server-sent event stream. The
 * stream's headers wait for the first text (or the end), so an error that happens before any
 * output (unknown model, full queue, prompt too long) still gets its proper status and JSON body.
 * The driver is `http/answer-generation.ts`, shared by every protocol; this file holds OpenAI's shapes.
 */
import type { GenerationResult, ToolCallDelta } from "../engine/types.js";
import { answerGeneration } from "../http/answer-generation.js";
import { generationLog } from "../http/generation-answer.js";
import type { ShimmyContext } from "../http/request-context.js";
import { SSE_DONE, sseError } from "../http/sse.js";
import type { AnswerStream } from "./sse.js";
import { servedModel } from "../routing/routes/route-report.js";

/** What {@link answer} needs from a route. */
export interface AnswerOptions {
  model: string;
  stream: boolean;
  /** The SSE events of a streamed answer. */
  events: AnswerStream;
  /** The JSON body of a non-streamed answer. */
  render(result: GenerationResult): unknown;
  /**
   * Starts the generation, which calls `onText` and `onToolCall` as its answer comes, and `onTrace`
   * with entries of server-side tool calls (streamed as `tool_trace` chunks).
   */
  generate(onText: (text: string) => void, onToolCall: (delta: ToolCallDelta) => void, onTrace: (entries: readonly unknown[]) => void): Promise<GenerationResult>;
  /** Throws when the finished answer is not what was asked for (structured output). */
  check?(result: GenerationResult): void;
}

/** Runs the generation and writes its answer on `ctx`. */
export async function answer(ctx: ShimmyContext, options: AnswerOptions): Promise<void> {
  const { events } = options;
  await answerGeneration(ctx, {
    notes: generationLog(ctx, options.model, options.stream),
    stream: options.stream,
    generate: options.generate,
    events: {
      start: () => {
        // Opened on the first output: the route's choice is final by then.
        const served = servedModel();
        if (served !== undefined) events.setModel?.(served);
        return events.start();
      },
      text: (text) => events.text(text),
      toolCall: (delta) => events.toolCall(delta),
      trace: (entries) => events.trace(entries),
    },
    whole: (result) => {
      options.check?.(result);
      const served = servedModel();
      return options.render(served === undefined ? result : { ...result, model: served });
    },
    end: (result) => {
      options.check?.(result);
      return events.finish(result.finishReason) + events.usage(result) + SSE_DONE;
    },
    error: (err) => sseError(err) + SSE_DONE,
  });
}
