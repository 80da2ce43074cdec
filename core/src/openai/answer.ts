/**
 * Answers a generation request either as one JSON body or as a server-sent event stream. The
 * stream's headers wait for the first text (or the end), so an error that happens before any
 * output (unknown model, full queue, prompt too long) still gets its proper status and JSON body.
 */
import { PassThrough } from "node:stream";
import { GenerationAborted, type GenerationResult, type ToolCallDelta } from "../engine/types.js";
import type { ShimmyContext } from "../http/request-context.js";
import { SSE_DONE, SSE_HEADERS, sseError } from "../http/sse.js";
import type { AnswerStream } from "./sse.js";

/** What {@link answer} needs from a route. */
export interface AnswerOptions {
  model: string;
  stream: boolean;
  /** The SSE events of a streamed answer. */
  events: AnswerStream;
  /** The JSON body of a non-streamed answer. */
  render(result: GenerationResult): unknown;
  /** Starts the generation, which calls `onText` and `onToolCall` as its answer comes. */
  generate(onText: (text: string) => void, onToolCall: (delta: ToolCallDelta) => void): Promise<GenerationResult>;
  /** Throws when the finished answer is not what was asked for (structured output). */
  check?(result: GenerationResult): void;
}

/** Runs the generation and writes its answer on `ctx`. */
export async function answer(ctx: ShimmyContext, options: AnswerOptions): Promise<void> {
  const { log } = ctx.state;
  log.model = options.model;
  log.stream = options.stream;
  const noteUsage = (result: Pick<GenerationResult, "promptTokens" | "completionTokens">) => {
    log.promptTokens = result.promptTokens;
    log.completionTokens = result.completionTokens;
  };
  const noteFirstText = () => {
    log.ttftMs ??= Math.round((performance.now() - ctx.state.startedAt) * 100) / 100;
  };

  const noteAborted = (err: unknown) => {
    if (err instanceof GenerationAborted) noteUsage(err);
  };

  if (!options.stream) {
    const generation = options.generate(noteFirstText, noteFirstText);
    ctx.state.work = generation;
    const result = await generation.catch((err: unknown) => {
      noteAborted(err);
      throw err;
    });
    noteUsage(result);
    options.check?.(result);
    ctx.body = options.render(result);
    return;
  }

  const out = new PassThrough();
  let open = false;
  let markOpen!: () => void;
  const opened = new Promise<void>((resolve) => (markOpen = resolve));
  const openStream = () => {
    if (open) return;
    open = true;
    ctx.status = 200;
    ctx.set(SSE_HEADERS);
    ctx.body = out;
    out.write(options.events.start());
    markOpen();
  };
  const generation = options.generate(
    (text) => {
      openStream();
      noteFirstText();
      out.write(options.events.text(text));
    },
    (delta) => {
      openStream();
      noteFirstText();
      out.write(options.events.toolCall(delta));
    },
  );
  ctx.state.work = generation;
  // Until the stream opens, a failure is an ordinary error response; after, it is an event.
  await Promise.race([opened, generation]);
  openStream();
  generation.then(
    (result) => {
      noteUsage(result);
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
      noteAborted(err);
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
