/**
 * Answers `POST /v1/responses` as one JSON object or as an event stream, through the driver every
 * protocol shares (`http/answer-generation.ts`): the stream's headers wait for the first output (or
 * the end), so a failure before any output (unknown model, full queue, prompt too long) is an
 * ordinary error response with its status.
 * Unlike chat, the events are Responses events, a late failure is `response.failed`, and no
 * `[DONE]` ends the stream.
 */
import type { GenerationResult, ToolCallDelta } from "../engine/types.js";
import type { ToolTraceEntry } from "../tools/tool-trace.js";
import { toErrorResponse } from "../errors.js";
import { answerGeneration } from "../http/answer-generation.js";
import { generationLog } from "../http/generation-answer.js";
import type { ShimmyContext } from "../http/request-context.js";
import { finalStatus, responseObject, type OutputIds, type ResponseHead } from "./response-object.js";
import { ResponseEventStream } from "./stream-events.js";
import type { FileSearchRun } from "./file-search.js";
import { fileCitations } from "./file-search.js";
import type { ResponseObject } from "./types.js";

/** What {@link answerResponse} needs from the route. */
export interface AnswerResponseOptions {
  stream: boolean;
  head: ResponseHead;
  ids: OutputIds;
  /** Starts the generation, which streams through the callbacks (`onTrace`: the server's plugin calls, per round). */
  generate(onText: (text: string) => void, onToolCall: (delta: ToolCallDelta) => void, onTrace: (entries: ToolTraceEntry[]) => void): Promise<GenerationResult>;
  /** Throws when the finished answer is not what was asked for (structured output). */
  check(result: GenerationResult): void;
  /** Keeps the finished response (store, conversation) before the client hears it is done. */
  finished(response: ResponseObject): Promise<void> | void;
  /** The server's `file_search`, run before the generation: its item opens the output, its citations go on the answer. */
  fileSearch?: FileSearchRun | null;
}

/** Runs the generation and writes the response on `ctx`. */
export async function answerResponse(ctx: ShimmyContext, options: AnswerResponseOptions): Promise<void> {
  const events = new ResponseEventStream(options.head, options.ids);
  const { fileSearch } = options;
  /** The file search's item and events, told first (after `response.created` and `.in_progress` on a stream). */
  const searched = () => (fileSearch ? events.fileSearch(fileSearch.call, (length) => fileCitations(fileSearch, length)) : "");
  /** The final events' text, once the answer is checked and kept. */
  const complete = async (result: GenerationResult): Promise<{ response: ResponseObject; tail: string }> => {
    options.check(result);
    const tail = events.finish(result);
    const response = responseObject(options.head, { status: finalStatus(result), result, output: events.output });
    await options.finished(response);
    return { response, tail };
  };

  if (!options.stream) searched();
  await answerGeneration(ctx, {
    notes: generationLog(ctx, options.head.request.model, options.stream),
    stream: options.stream,
    generate: options.generate,
    events: {
      start: () => events.start() + searched(),
      text: (text) => events.text(text),
      toolCall: (delta) => events.toolCall(delta),
      trace: (entries) => events.pluginCalls(entries),
    },
    // Built by the same event stream (its text unread), so the output is the streamed one.
    eventsBuildWhole: true,
    whole: async (result) => (await complete(result)).response,
    end: async (result) => (await complete(result)).tail,
    error: (err) => {
      const { code, message } = toErrorResponse(err).body.error;
      return events.fail({ code, message });
    },
  });
}
