/**
 * Answers a generation request either as one JSON body or as a server-sent event stream. The
 * stream's headers wait for the first text (or the end), so an error that happens before any
 * output (unknown model, full queue, prompt too long) still gets its proper status and JSON body.
 */
import type { GenerationResult, ToolCallDelta } from "../engine/types.js";
import { generationLog, lazyEventStream } from "../http/generation-answer.js";
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
  const { log } = ctx.state;
  const notes = generationLog(ctx, options.model, options.stream);

  if (!options.stream) {
    const generation = options.generate(notes.firstOutput, notes.firstOutput, () => undefined);
    ctx.state.work = generation;
    const result = await generation.catch((err: unknown) => {
      notes.failed(err);
      throw err;
    });
    notes.usage(result);
    options.check?.(result);
    const served = servedModel();
    ctx.body = options.render(served === undefined ? result : { ...result, model: served });
    return;
  }

  const { out, open: openStream, opened } = lazyEventStream(ctx, () => {
    // Opened on the first output: the route's choice is final by then.
    const served = servedModel();
    if (served !== undefined) options.events.setModel?.(served);
    return options.events.start();
  });
  const generation = options.generate(
    (text) => {
      openStream();
      notes.firstOutput();
      out.write(options.events.text(text));
    },
    (delta) => {
      openStream();
      notes.firstOutput();
      out.write(options.events.toolCall(delta));
    },
    (entries) => {
      // Server-side rounds can take a while before any text: the trace opens the stream.
      openStream();
      out.write(options.events.trace(entries));
    },
  );
  ctx.state.work = generation;
  // Until the stream opens, a failure is an ordinary error response; after, it is an event.
  await Promise.race([opened, generation]);
  openStream();
  generation.then(
    (result) => {
      notes.usage(result);
      try {
        options.check?.(result);
      } catch (err) {
        log.outcome = "stream_error";
        out.write(sseError(err));
        out.end(SSE_DONE);
        return;
      }
      out.write(options.events.finish(result.finishReason));
      out.write(options.events.usage(result));
      out.end(SSE_DONE);
    },
    (err: unknown) => {
      notes.failed(err);
      if (ctx.state.abort.signal.aborted) {
        out.destroy();
        return;
      }
      log.outcome = "stream_error";
      out.write(sseError(err));
      out.end(SSE_DONE);
    },
  );
}
