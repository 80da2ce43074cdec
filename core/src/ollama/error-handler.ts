/**
 * Renders every error on the Ollama listener in Ollama's shape, `{"error": "message"}`, with the
 * status the catalog gives it: the main listener's error middleware (`http/error-handler.ts`) with
 * Ollama's body for every path and its own 404 wording.
 */
import type { Middleware } from "koa";
import { errorHandler, type ErrorShape } from "../http/error-handler.js";
import type { ShimmyState } from "../http/request-context.js";
import type { Logger } from "../logger.js";

/** The body of an error on the Ollama listener. */
export interface OllamaErrorBody {
  error: string;
}

/** Ollama's body, for every path of its listener. */
const OLLAMA_ERROR_SHAPE: ErrorShape = {
  matches: () => true,
  render: (_status, body): OllamaErrorBody => ({ error: body.error.message }),
};

/** Catches what the handlers and the checks before them throw and writes the error response. */
export function ollamaErrorHandler(logger: Logger): Middleware<ShimmyState> {
  return errorHandler(logger, [OLLAMA_ERROR_SHAPE], (method, path) =>
    `No route for ${method} ${path} on the Ollama listener: it serves Ollama's /api/chat, /api/generate, /api/tags and the like (Shimmy's own API is on the main port).`);
}
