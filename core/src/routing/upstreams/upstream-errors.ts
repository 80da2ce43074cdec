/**
 * How an upstream's failures reach our clients: a refused connection, a 5xx or a cut stream is
 * `upstream_unavailable` (502) naming the upstream; a 4xx keeps the upstream's message behind a
 * prefix naming it, with our code of the same meaning.
 */
import { ERROR_CATALOG, ShimmyError, retryLater, type ErrorCode } from "../../errors.js";

/**
 * An upstream call that failed before any answer came: `retriable` when another member of a pool
 * may serve the same request (connection failures, 502/503/504), `unreachable` when the upstream
 * could not be reached at all (it leaves the pool until its health check passes again).
 */
export class UpstreamFailure extends ShimmyError {
  constructor(
    code: ErrorCode,
    message: string,
    readonly retriable: boolean,
    readonly unreachable: boolean,
    options: { param?: string | null; cause?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(code, message, options);
  }
}

/** A connection that could not be made or was cut: `upstream_unavailable`, retriable elsewhere. */
export function unreachable(upstream: string, err: unknown): UpstreamFailure {
  return new UpstreamFailure("upstream_unavailable", `The upstream "${upstream}" is unavailable: ${describeCause(err)}.`, true, true, { cause: err });
}

/** The words of a fetch failure: undici hides the reason (ECONNREFUSED…) in `cause`. */
export function describeCause(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code) return `${cause.code}${cause.message && !cause.message.includes(cause.code) ? ` (${cause.message})` : ""}`;
  return err instanceof Error ? err.message : String(err);
}

/** The upstream's error body as OpenAI shapes it, as far as it does. */
interface UpstreamErrorBody {
  error?: { message?: unknown; code?: unknown; param?: unknown } | string;
  message?: unknown;
}

/** The message and code an upstream put in its error body, if it did. */
export function upstreamErrorOf(text: string): { message?: string; code?: string; param?: string } {
  let body: UpstreamErrorBody;
  try {
    body = JSON.parse(text) as UpstreamErrorBody;
  } catch {
    return text.trim() ? { message: text.trim().slice(0, 500) } : {};
  }
  const error = typeof body.error === "string" ? { message: body.error } : (body.error ?? { message: body.message });
  return {
    ...(typeof error.message === "string" ? { message: error.message } : {}),
    ...(typeof error.code === "string" ? { code: error.code } : {}),
    ...(typeof error.param === "string" ? { param: error.param } : {}),
  };
}

/** The 4xx codes of our catalog an upstream's 4xx maps to when its own code is not one of ours. */
function codeOfStatus(status: number): ErrorCode {
  if (status === 404) return "model_not_found";
  if (status === 413) return "request_too_large";
  return "invalid_parameter";
}

/**
 * The error for an upstream's non-2xx answer. A 4xx keeps the upstream's message, prefixed, and its
 * code when ours has it with a 4xx status (so another Shimmy's `context_length_exceeded` stays one);
 * 401/403 mean our key is wrong, which the client cannot fix: a 502; 429 is ours to retry later.
 */
export function fromUpstreamStatus(upstream: string, status: number, text: string, retryAfter: string | null): UpstreamFailure {
  const { message, code, param } = upstreamErrorOf(text);
  const said = message ?? `HTTP ${status}`;
  if (status === 429) {
    const limited = retryLater(`The upstream "${upstream}" is rate-limited: ${said}`, { retryAfterSeconds: Number(retryAfter) || 1 });
    return new UpstreamFailure("server_overloaded", limited.message, true, false, { headers: limited.headers });
  }
  if (status === 401 || status === 403) {
    return new UpstreamFailure("upstream_unavailable", `The upstream "${upstream}" refused Shimmy's API key (HTTP ${status}): set upstreams.${upstream}.apiKey in secrets.json.`, true, false);
  }
  if (status >= 400 && status < 500) {
    const ours = code !== undefined && code in ERROR_CATALOG && ERROR_CATALOG[code as ErrorCode].status < 500 ? (code as ErrorCode) : codeOfStatus(status);
    return new UpstreamFailure(ours, `upstream "${upstream}": ${said}`, false, false, { param: param ?? null });
  }
  return new UpstreamFailure("upstream_unavailable", `The upstream "${upstream}" failed (HTTP ${status}): ${said}`, status === 502 || status === 503 || status === 504, false);
}

/**
 * The error for an `{"error": …}` event in the middle of an upstream's stream: the upstream's own
 * code when ours has it (say, another Shimmy's `output_invalid`), else `upstream_unavailable`.
 */
export function fromStreamError(upstream: string, error: unknown): UpstreamFailure {
  const text = JSON.stringify({ error });
  const { code } = upstreamErrorOf(text);
  const status = code !== undefined && code in ERROR_CATALOG ? ERROR_CATALOG[code as ErrorCode].status : 502;
  if (status >= 500 && code !== undefined && code in ERROR_CATALOG) {
    const { message } = upstreamErrorOf(text);
    return new UpstreamFailure(code as ErrorCode, `upstream "${upstream}": ${message ?? code}`, false, false);
  }
  const failure = fromUpstreamStatus(upstream, status, text, null);
  return new UpstreamFailure(failure.code, failure.message, false, false, { param: failure.param });
}
