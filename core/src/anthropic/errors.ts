/**
 * Errors in Anthropic's shape, `{"type": "error", "error": {"type", "message"}}`, for everything
 * under `/v1/messages`: the error middleware renders them through {@link ANTHROPIC_ERROR_SHAPE}, and
 * a stream that fails midway ends with {@link sseErrorEvent}. The status, headers (`Retry-After`)
 * and message are those of the OpenAI rendering (`toErrorResponse`); only the body differs.
 */
import { toErrorResponse, type OpenAIErrorBody } from "../errors.js";
import type { ErrorShape } from "../http/error-handler.js";
import type { AnthropicErrorBody, AnthropicErrorType } from "./types.js";

/** Anthropic's error type for an HTTP status, as its API pairs them. */
export function anthropicErrorType(status: number): AnthropicErrorType {
  switch (status) {
    case 400:
    case 409:
    case 415:
    case 422:
      return "invalid_request_error";
    case 401:
      return "authentication_error";
    case 403:
      return "permission_error";
    case 404:
      return "not_found_error";
    case 413:
      return "request_too_large";
    case 429:
      return "rate_limit_error";
    case 503:
    case 529:
      return "overloaded_error";
    default:
      return status >= 400 && status < 500 ? "invalid_request_error" : "api_error";
  }
}

/** The Anthropic body of an error already rendered for OpenAI clients. */
export function toAnthropicErrorBody(status: number, body: OpenAIErrorBody): AnthropicErrorBody {
  return { type: "error", error: { type: anthropicErrorType(status), message: body.error.message } };
}

/** The paths whose errors are rendered in Anthropic's shape. */
export function isAnthropicPath(path: string): boolean {
  return path === "/v1/messages" || path.startsWith("/v1/messages/");
}

/** The error middleware's rendering for `/v1/messages` and below (`http/error-handler.ts`). */
export const ANTHROPIC_ERROR_SHAPE: ErrorShape = { matches: isAnthropicPath, render: toAnthropicErrorBody };

/**
 * The event that ends a stream failing after it started (its status is already sent), as
 * Anthropic's SDK reads it: `event: error` with the error body. Unexposed (5xx) messages are
 * replaced as in HTTP error responses.
 */
export function sseErrorEvent(err: unknown): string {
  const { status, body } = toErrorResponse(err);
  return `event: error\ndata: ${JSON.stringify(toAnthropicErrorBody(status, body))}\n\n`;
}
