/**
 * Renders every error on the Ollama listener in Ollama's shape, `{"error": "message"}`, with the
 * status the catalog gives it: the same errors as the main listener's (`errors.ts`), one field.
 */
import type { Middleware } from "koa";
import { ShimmyError, toErrorResponse } from "../errors.js";
import type { ShimmyState } from "../http/request-context.js";
import type { Logger } from "../logger.js";

/** The body of an error on the Ollama listener. */
export interface OllamaErrorBody {
  error: string;
}

/** Catches what the handlers and the checks before them throw and writes the error response. */
export function ollamaErrorHandler(logger: Logger): Middleware<ShimmyState> {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        throw new ShimmyError("not_found", `No route for ${ctx.method} ${ctx.path} on the Ollama listener: it serves Ollama's /api/chat, /api/generate, /api/tags and the like (Shimmy's own API is on the main port).`);
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
      ctx.body = { error: body.error.message } satisfies OllamaErrorBody;
    }
  };
}
