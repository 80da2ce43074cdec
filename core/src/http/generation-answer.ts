/**
 * The plumbing every generating route shares (`/v1/chat/completions`, `/v1/completions`,
 * `/v1/responses`): the request log's model, usage and time to first output, and an event stream
 * whose status and headers wait for the first event, so that a failure before any output (unknown
 * model, full queue, prompt too long) is still an ordinary error response with its own status.
 */
import { GenerationAborted, type GenerationResult } from "../engine/types.js";
import type { ShimmyContext } from "./request-context.js";
import { SSE_HEADERS } from "./sse.js";

/** What a generating route writes into its request's log line. */
export interface GenerationLog {
  /** The tokens of a finished generation. */
  usage(result: Pick<GenerationResult, "promptTokens" | "completionTokens" | "promptTokensReused">): void;
  /** Call on every output: the first one sets the time to first token. */
  firstOutput(): void;
  /** A generation that failed: a cancelled one still counts the tokens it used. */
  failed(err: unknown): void;
}

/** Starts the log fields of a generation of `model` on `ctx`. */
export function generationLog(ctx: ShimmyContext, model: string, stream: boolean): GenerationLog {
  const { log } = ctx.state;
  log.model = model;
  log.stream = stream;
  const usage = (result: Pick<GenerationResult, "promptTokens" | "completionTokens" | "promptTokensReused">) => {
    log.promptTokens = result.promptTokens;
    if (result.promptTokensReused !== undefined) log.promptTokensReused = result.promptTokensReused;
    log.completionTokens = result.completionTokens;
  };
  return {
    usage,
    firstOutput() {
      log.ttftMs ??= Math.round((performance.now() - ctx.state.startedAt) * 100) / 100;
    },
    failed(err) {
      if (err instanceof GenerationAborted) usage(err);
    },
  };
}

/**
 * An event stream that becomes the response on its first {@link LazyEventStream.open}. Its events
 * go straight to the socket: as Koa's body, a stream piped to the response once the middleware
 * returns, the first byte left 0.3 ms later on every request (a one-token answer, measured) and
 * each event passed through one more stream.
 */
export interface LazyEventStream {
  /** Sends 200, the headers and the first event; later calls do nothing. */
  open(): void;
  /** Settles on the first {@link open}. */
  readonly opened: Promise<void>;
  /** Writes events once open; nothing once the response has ended or the client has gone. */
  write(text: string): void;
  /** Ends the response with its last events. */
  end(text: string): void;
  /** Cuts the response off (the client went away). */
  destroy(): void;
}

/** An event stream on `ctx` whose first event is `first()`, sent with `headers` (NDJSON streams pass their own). */
export function lazyEventStream(ctx: ShimmyContext, first: () => string, headers: Readonly<Record<string, string>> = SSE_HEADERS): LazyEventStream {
  const { res } = ctx;
  let isOpen = false;
  let markOpen!: () => void;
  const opened = new Promise<void>((resolve) => (markOpen = resolve));
  // Writing after the end would raise an unhandled 'error' on the response; after the client left, nothing is read.
  const writable = () => isOpen && !res.writableEnded && !res.destroyed;
  return {
    opened,
    open() {
      if (isOpen) return;
      isOpen = true;
      ctx.status = 200;
      ctx.set(headers);
      for (const hook of ctx.state.beforeHeaders ?? []) hook();
      // Koa leaves the response alone: what the middleware sets once this has returned is not sent.
      ctx.respond = false;
      res.write(first());
      markOpen();
    },
    write(text) {
      if (writable()) res.write(text);
    },
    end(text) {
      if (writable()) res.end(text);
    },
    destroy() {
      res.destroy();
    },
  };
}
