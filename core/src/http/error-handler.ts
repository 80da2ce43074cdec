/** Renders every error as OpenAI's `{"error": {...}}` with its status; 5xx details go only to the log. */
import type { Middleware } from "koa";
import { ShimmyError, toErrorResponse } from "../errors.js";
import type { Logger } from "../logger.js";
import type { ShimmyState } from "./request-context.js";

/** Catches what the handlers throw and writes the error response. */
export function errorHandler(logger: Logger): Middleware<ShimmyState> {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        throw new ShimmyError("not_found", `No route for ${ctx.method} ${ctx.path}. The API lives under /v1 (GET /v1/models lists the models).`);
      }
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
      ctx.body = body;
    }
  };
}
