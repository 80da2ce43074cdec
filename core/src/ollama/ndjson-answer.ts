/**
 * Answers an Ollama generation either as one JSON object or, as Ollama does by default, as a stream
 * of JSON lines (`application/x-ndjson`), through the driver every protocol shares
 * (`http/answer-generation.ts`). As with the OpenAI routes' event streams, the status and
 * headers wait for the first output, so a failure before any (unknown model, full queue, prompt too
 * long) is an ordinary error response; after it, a failure is a last `{"error": "..."}` line.
 */
import type { GeneratedToolCall, GenerationResult, ToolCallDelta } from "../engine/types.js";
import { toErrorResponse } from "../errors.js";
import { answerGeneration } from "../http/answer-generation.js";
import { generationLog, type GenerationLog } from "../http/generation-answer.js";
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
  generate(onText: (text: string) => void, onToolCall: (delta: ToolCallDelta) => void): Promise<GenerationResult>;
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

/** The response headers of a stream of JSON lines. */
const NDJSON_HEADERS: Readonly<Record<string, string>> = { "Content-Type": "application/x-ndjson", "Cache-Control": "no-cache", "X-Accel-Buffering": "no" };

/** Runs the generation and writes its answer on `ctx`. */
export async function answerNdjson(ctx: ShimmyContext, options: NdjsonAnswerOptions): Promise<void> {
  const log = generationLog(ctx, options.model, options.stream);
  let firstOutputAt: number | undefined;
  // Ollama reports the generation's own duration, which starts at the first output.
  const notes: GenerationLog = {
    ...log,
    firstOutput() {
      firstOutputAt ??= performance.now();
      log.firstOutput();
    },
  };
  const timesAt = (): GenerationTimes => ({ ...options.times, endedAt: performance.now(), ...(firstOutputAt === undefined ? {} : { firstOutputAt }) });
  const { stream } = options;
  await answerGeneration(ctx, {
    notes,
    stream,
    headers: NDJSON_HEADERS,
    generate: (onText, onToolCall) =>
      // The engine may report an empty piece (a token that decodes to nothing yet): in a stream it
      // neither opens the stream nor makes a line.
      options.generate(
        stream
          ? (text) => {
              if (text !== "") onText(text);
            }
          : onText,
        onToolCall,
      ),
    events: {
      start: () => "",
      text: (text) => line(options.delta(text)),
      // Tool calls are sent whole once the answer is complete, as Ollama sends them, but the first
      // piece counts as output (it opens the stream and starts the generation time).
      toolCall: () => "",
    },
    whole: (result) => {
      options.check?.(result);
      return options.done(result, timesAt(), result.text);
    },
    end: (result) => {
      options.check?.(result);
      const calls = result.toolCalls && result.toolCalls.length > 0 && options.toolCalls ? line(options.toolCalls(result.toolCalls)) : "";
      return calls + line(options.done(result, timesAt(), ""));
    },
    error: errorLine,
  });
}
