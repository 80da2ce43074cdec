/**
 * Server-sent events as Shimmy writes them on every route (`/v1` answers, `/api/models/load`
 * progress): one header set, and every event one `data: {json}\n\n` line pair with no event name
 * (openai-node treats named events as chunks too), the stream ending with `data: [DONE]\n\n`.
 */
import { toErrorResponse } from "../errors.js";

/**
 * The response headers of every event stream.
 *
 * @example
 * ctx.set(SSE_HEADERS);
 * ctx.body = stream;
 */
export const SSE_HEADERS: Readonly<Record<string, string>> = {
  "Content-Type": "text/event-stream; charset=utf-8",
  "Cache-Control": "no-cache",
  Connection: "keep-alive",
  // Reverse proxies (nginx) would otherwise buffer the stream.
  "X-Accel-Buffering": "no",
};

/** The last event of every stream. */
export const SSE_DONE = "data: [DONE]\n\n";

/** One SSE event carrying `obj` as JSON. JSON never holds a raw newline, so one `data:` line suffices. */
export function sseData(obj: unknown): string {
  return `data: ${JSON.stringify(obj)}\n\n`;
}

/**
 * The event reporting a failure after the stream started (the status is already sent): a chunk
 * `{"error": {message, type, param, code}}` in OpenAI's error shape, which openai-node raises as
 * an APIError. Unexposed (5xx) messages are replaced as in HTTP error responses.
 * Write {@link SSE_DONE} after it.
 */
export function sseError(err: unknown): string {
  return sseData(toErrorResponse(err).body);
}
