/**
 * The one driver of a generated answer, shared by every protocol that generates (OpenAI chat and
 * completions, Responses, Anthropic Messages, Ollama, llama.cpp's `/infill`): it runs the
 * generation as the request's work, fills the log line (usage, time to first output), and answers
 * either as one body or as a stream. The stream's status and headers wait for the first output (or
 * the end), so a failure before any output (unknown model, full queue, prompt too long) is still an
 * ordinary error response with its own status; after it, the protocol's error text ends the stream,
 * and a client that went away gets nothing more. A protocol passes in only its own shapes.
 */
import type { GenerationResult, ToolCallDelta } from "../engine/types.js";
import { lazyEventStream, type GenerationLog } from "./generation-answer.js";
import type { ShimmyContext } from "./request-context.js";

/**
 * How a protocol writes the pieces of a streamed answer: each method returns the text to write
 * ("" writes nothing). Methods are called in stream order, `start` first, so they may keep state.
 */
export interface AnswerEvents<T> {
  /** The stream's opening text, written when the first output (or the end) opens it. */
  start(): string;
  /** A piece of the answer's text. */
  text(text: string): string;
  /** A piece of a tool call. */
  toolCall(delta: ToolCallDelta): string;
  /**
   * Entries of the server's own (plugin) tool calls. They open the stream, since a round can take a
   * while before any text, but are not the answer's output. @default nothing is written
   */
  trace?(entries: T): string;
}

/** What {@link answerGeneration} needs from a protocol. */
export interface GenerationAnswerOptions<R extends GenerationResult, T> {
  /** The request's log fields (`generationLog`). */
  notes: GenerationLog;
  stream: boolean;
  /** Starts the generation, which calls back as its answer comes. */
  generate(onText: (text: string) => void, onToolCall: (delta: ToolCallDelta) => void, onTrace: (entries: T) => void): Promise<R>;
  /** The pieces of a streamed answer. */
  events: AnswerEvents<T>;
  /**
   * Whether a whole (not streamed) answer is built by the same events too, their text unread, so
   * that it equals the streamed one. @default false: a whole answer's pieces only count as output
   */
  eventsBuildWhole?: boolean;
  /** The body of a whole answer. Throws when the answer is not what was asked for: an error response. */
  whole(result: R): unknown;
  /** The stream's last text after a finished answer. Throws when the answer is not what was asked for: then {@link error} ends the stream. */
  end(result: R): string | Promise<string>;
  /** The stream's last text after a failure. */
  error(err: unknown): string;
  /** The stream's response headers. @default SSE_HEADERS */
  headers?: Readonly<Record<string, string>>;
}

/**
 * Runs the generation and writes its answer on `ctx`. A streamed answer returns once the stream is
 * open; the rest is written as the generation goes on.
 *
 * @example
 * await answerGeneration(ctx, {
 *   notes: generationLog(ctx, model, stream), stream, generate, events,
 *   whole: (result) => render(result),
 *   end: (result) => events.finish(result) + SSE_DONE,
 *   error: (err) => sseError(err) + SSE_DONE,
 * });
 */
export async function answerGeneration<R extends GenerationResult, T>(ctx: ShimmyContext, options: GenerationAnswerOptions<R, T>): Promise<void> {
  const { notes, events } = options;
  if (!options.stream) {
    const builds = options.eventsBuildWhole === true;
    const generation = options.generate(
      (text) => {
        notes.firstOutput();
        if (builds) events.text(text);
      },
      (delta) => {
        notes.firstOutput();
        if (builds) events.toolCall(delta);
      },
      (entries) => {
        if (builds) events.trace?.(entries);
      },
    );
    ctx.state.work = generation;
    const result = await generation.catch((err: unknown) => {
      notes.failed(err);
      throw err;
    });
    notes.usage(result);
    ctx.body = await options.whole(result);
    return;
  }

  const stream = lazyEventStream(ctx, () => events.start(), options.headers);
  const { open, opened } = stream;
  // The stream opens before a piece is rendered: `start` comes first in the events' order.
  const write = (text: string) => {
    if (text !== "") stream.write(text);
  };
  const generation = options.generate(
    (text) => {
      open();
      notes.firstOutput();
      write(events.text(text));
    },
    (delta) => {
      open();
      notes.firstOutput();
      write(events.toolCall(delta));
    },
    (entries) => {
      open();
      if (events.trace) write(events.trace(entries));
    },
  );
  ctx.state.work = generation;
  // Until the stream opens, a failure is an ordinary error response; after, it is an event.
  await Promise.race([opened, generation]);
  open();
  const fail = (err: unknown) => {
    ctx.state.log.outcome = "stream_error";
    stream.end(options.error(err));
  };
  generation.then(
    async (result) => {
      notes.usage(result);
      let tail: string;
      try {
        tail = await options.end(result);
      } catch (err) {
        fail(err);
        return;
      }
      stream.end(tail);
    },
    (err: unknown) => {
      notes.failed(err);
      if (ctx.state.abort.signal.aborted) {
        stream.destroy();
        return;
      }
      fail(err);
    },
  );
}
