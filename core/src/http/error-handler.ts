/** Renders every error as OpenAI's `{"error": {...}}` with its status; 5xx details go only to the log. */
import type { Middleware } from "koa";
import { ShimmyError, toErrorResponse, type OpenAIErrorBody } from "../errors.js";
import type { Logger } from "../logger.js";
import type { ShimmyState } from "./request-context.js";

/**
 * Another protocol's error body for the paths it serves (Anthropic's under `/v1/messages`), built
 * from the OpenAI rendering: the status, headers and message stay the same.
 */
export interface ErrorShape {
  matches(path: string): boolean;
  render(status: number, body: OpenAIErrorBody): unknown;
}

/** The 404 message of the main listener: where its API lives. */
function mainNotFound(method: string, path: string): string {
  return `No route for ${method} ${path}. The API lives under /v1 (GET /v1/models lists the models).`;
}

/**
 * Catches what the handlers throw and writes the error response; the first of `shapes` whose path
 * matches renders the body. `notFound` words the 404 of a request no route took (each listener
 * says where its own API lives).
 */
export function errorHandler(logger: Logger, shapes: readonly ErrorShape[] = [], notFound: (method: string, path: string) => string = mainNotFound): Middleware<ShimmyState> {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) throw new ShimmyError("not_found", notFound(ctx.method, ctx.path));
    } catch (err) {
      if (ctx.state.abort?.signal.aborted) {
        // The client is gone: nobody reads an error, and nothing went wrong on our side.
        ctx.status = 499;
        return;
      }
      const { status, body, headers } = toErrorResponse(err);
      if (status >= 500) logger.error({ requestId: ctx.state.requestId, err }, "request failed");
      ctx.status = status;
      ctx.set(headers);
      const shape = shapes.find((s) => s.matches(ctx.path));
      ctx.body = shape ? shape.render(status, body) : body;
    }
  };
}
