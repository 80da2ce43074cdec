/**
 * Answers an Ollama generation either as one JSON object or, as Ollama does by default, as a stream
 * of JSON lines (`application/x-ndjson`). As with the OpenAI routes' event streams, the status and
 * headers wait for the first output, so a failure before any (unknown model, full queue, prompt too
 * long) is an ordinary error response; after it, a failure is a last `{"error": "..."}` line.
 */
import { PassThrough } from "node:stream";
import type { GeneratedToolCall, GenerationResult } from "../engine/types.js";
import { toErrorResponse } from "../errors.js";
import { generationLog } from "../http/generation-answer.js";
import type { ShimmyContext } from "../http/request-context.js";
import type { GenerationTimes } from "./convert-response.js";

/** What {@link answerNdjson} needs from a route. */
export interface NdjsonAnswerOptions {
  /** The model as the client named it, for the log. */
  model: string;
  stream: boolean;
  /** When the request arrived and when its model was loaded (`performance.now()`). */
  times: Pick<GenerationTimes, "startedAt" | "loadedAt">;
  /** Starts the generation, which calls `onText` with each piece of text as it comes. */
  generate(onText: (text: string) => void, onToolCall: () => void): Promise<GenerationResult>;
  /** Throws when the finished answer is not what was asked for (structured output). */
  check?(result: GenerationResult): void;
  /** A stream line holding `text`. */
  delta(text: string): object;
  /** A stream line holding the finished answer's tool calls. @default tool calls are not streamed */
  toolCalls?(calls: readonly GeneratedToolCall[]): object;
  /** The closing object: `text` is the whole answer when not streamed, "" at the end of a stream. */
  done(result: GenerationResult, times: GenerationTimes, text: string): object;
}

const line = (value: object) => JSON.stringify(value) + "\n";

/** The `{"error": "..."}` line of a stream that failed, its message as the error response's. */
export function errorLine(err: unknown): string {
  return line({ error: toErrorResponse(err).body.error.message });
}

/** Runs the generation and writes its answer on `ctx`. */
export async function answerNdjson(ctx: ShimmyContext, options: NdjsonAnswerOptions): Promise<void> {
  const notes = generationLog(ctx, options.model, options.stream);
  let firstOutputAt: number | undefined;
  const firstOutput = () => {
    firstOutputAt ??= performance.now();
    notes.firstOutput();
  };
  const timesAt = (): GenerationTimes => ({ ...options.times, endedAt: performance.now(), ...(firstOutputAt === undefined ? {} : { firstOutputAt }) });

  if (!options.stream) {
    const generation = options.generate(firstOutput, firstOutput);
    ctx.state.work = generation;
    const result = await generation.catch((err: unknown) => {
      notes.failed(err);
      throw err;
    });
    notes.usage(result);
    options.check?.(result);
    ctx.body = options.done(result, timesAt(), result.text);
    return;
  }

  const out = new PassThrough();
  let isOpen = false;
  let markOpen!: () => void;
  const opened = new Promise<void>((resolve) => (markOpen = resolve));
  const open = () => {
    if (isOpen) return;
    isOpen = true;
    ctx.status = 200;
    ctx.set({ "Content-Type": "application/x-ndjson", "Cache-Control": "no-cache", "X-Accel-Buffering": "no" });
    ctx.body = out;
    markOpen();
  };
  const generation = options.generate(
    (text) => {
      // The engine may report an empty piece (a token that decodes to nothing yet): no line for it.
      if (text === "") return;
      firstOutput();
      open();
      out.write(line(options.delta(text)));
    },
    // Tool calls are sent whole once the answer is complete, as Ollama sends them, but the first
    // piece counts as output (it opens the stream and starts the generation time).
    () => {
      firstOutput();
      open();
    },
  );
  ctx.state.work = generation;
  await Promise.race([opened, generation]);
  open();
  generation.then(
    (result) => {
      notes.usage(result);
      try {
        options.check?.(result);
      } catch (err) {
        ctx.state.log.outcome = "stream_error";
        out.end(errorLine(err));
        return;
      }
      if (result.toolCalls && result.toolCalls.length > 0 && options.toolCalls) out.write(line(options.toolCalls(result.toolCalls)));
      out.end(line(options.done(result, timesAt(), "")));
    },
    (err: unknown) => {
      notes.failed(err);
      if (ctx.state.abort.signal.aborted) {
        out.destroy();
        return;
      }
      ctx.state.log.outcome = "stream_error";
      out.end(errorLine(err));
    },
  );
}
