/**
 * Requests to this server's own routes (`/v1`, `/api`), from its own origin, so the server's Origin
 * check lets them through. Each carries the tab's API key when it has one; a 401 asks for the key
 * and sends the request again.
 */
import { askForKey, storedKey } from "./api-key.js";
import type { WireError } from "./wire.js";

/** A route's failure, with the server's message and code. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string | undefined;

  constructor(status: number, error: WireError) {
    super(error.message);
    this.name = "ApiError";
    this.status = status;
    this.code = error.code;
  }
}

/** The error of a failed response, from its `{"error": {...}}` body when it has one. */
async function failure(response: Response): Promise<ApiError> {
  const body = (await response.json().catch(() => null)) as { error?: WireError } | null;
  return new ApiError(response.status, body?.error ?? { message: `${response.status} ${response.statusText}` });
}

/**
 * Sends a request and returns the response once it is a success (its body unread: a stream may
 * follow). `body`, when given, goes as JSON.
 *
 * @throws {ApiError} for an error status, or a 401 whose key dialog was cancelled.
 */
export async function request(method: string, path: string, options: { body?: unknown; signal?: AbortSignal; accept?: string } = {}): Promise<Response> {
  for (;;) {
    const headers: Record<string, string> = { accept: options.accept ?? "application/json" };
    if (options.body !== undefined) headers["content-type"] = "application/json";
    const key = storedKey();
    if (key !== null) headers.authorization = `Bearer ${key}`;
    const response = await fetch(path, {
      method,
      headers,
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    if (response.ok) return response;
    const error = await failure(response);
    if (response.status !== 401 || (await askForKey(error.message)) === null) throw error;
  }
}

/** GETs `path`, or POSTs `body` to it, and parses the JSON answer. */
export async function json<T>(path: string, body?: unknown): Promise<T> {
  const response = await request(body === undefined ? "GET" : "POST", path, body === undefined ? {} : { body });
  return (await response.json()) as T;
}

/** Whether `error` is the abort of a request the user stopped. */
export function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === "AbortError";
}
