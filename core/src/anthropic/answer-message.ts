/**
 * Answers `POST /v1/messages` as one JSON message or as Anthropic's event stream. As
 * `openai/answer.ts` does for chat, the stream's headers wait for the first output (or the end), so
 * a failure before any output (unknown model, full queue, prompt too long) is an ordinary error
 * response with its status, in Anthropic's shape (`errors.ts`); a later one ends the stream with an
 * `error` event.
 */
import type { GenerationResult, ToolCallDelta } from "../engine/types.js";
import { generationLog, lazyEventStream } from "../http/generation-answer.js";
import type { ShimmyContext } from "../http/request-context.js";
import { toolTraceField, type ToolLoopResult } from "../tools/tool-loop.js";
import { messageResponse, type MessageMeta } from "./convert-response.js";
import { sseErrorEvent } from "./errors.js";
import { MessageEventStream } from "./stream-events.js";

/** What {@link answerMessage} needs from the route. */
export interface AnswerMessageOptions {
  meta: MessageMeta;
  stream: boolean;
  /** Starts the generation, which streams through the callbacks (`onTrace`: the server's plugin calls, per round). */
  generate(onText: (text: string) => void, onToolCall: (delta: ToolCallDelta) => void, onTrace: () => void): Promise<GenerationResult | ToolLoopResult>;
  /** Throws when the finished answer is not what was asked for (tool arguments that break their schema). */
  check(result: GenerationResult): void;
}

/** Runs the generation and writes the message on `ctx`. */
export async function answerMessage(ctx: ShimmyContext, options: AnswerMessageOptions): Promise<void> {
  const notes = generationLog(ctx, options.meta.model, options.stream);

  if (!options.stream) {
    const generation = options.generate(notes.firstOutput, notes.firstOutput, () => undefined);
    ctx.state.work = generation;
    const result = await generation.catch((err: unknown) => {
      notes.failed(err);
      throw err;
    });
    notes.usage(result);
    options.check(result);
    // Server-side plugin calls, as chat completions report them (`tool_trace`); absent otherwise.
    ctx.body = { ...messageResponse(options.meta, result), ...toolTraceField(result) };
    return;
  }

  const events = new MessageEventStream(options.meta);
  const { out, open: openStream, opened } = lazyEventStream(ctx, () => events.start());
  const generation = options.generate(
    (text) => {
      openStream();
      notes.firstOutput();
      out.write(events.text(text));
    },
    (delta) => {
      openStream();
      notes.firstOutput();
      out.write(events.toolCall(delta));
    },
    // Server-side rounds can take a while before any text: their first trace opens the stream.
    openStream,
  );
  ctx.state.work = generation;
  // Until the stream opens, a failure is an ordinary error response; after, it is an event.
  await Promise.race([opened, generation]);
  openStream();
  const fail = (err: unknown) => {
    ctx.state.log.outcome = "stream_error";
    out.end(sseErrorEvent(err));
  };
  generation.then(
    (result) => {
      notes.usage(result);
      try {
        options.check(result);
      } catch (err) {
        fail(err);
        return;
      }
      out.end(events.finish(result));
    },
    (err: unknown) => {
      notes.failed(err);
      if (ctx.state.abort.signal.aborted) {
        out.destroy();
        return;
      }
      fail(err);
    },
  );
}
