/**
 * A small client for a running Shimmy's admin API (`/api/models…`, `/api/plugins`, `/api/workflows…`),
 * used by `shimmy models`, `shimmy workflow` and `shimmy plugin` (which waits for a server to apply its change).
 *
 * It turns every failure into one of two errors the CLI can explain: {@link ApiError} (the server
 * answered with an error) and {@link ConnectionError} (no usable answer: nothing listening, a
 * timeout, a network failure). Loading reads the server's SSE progress stream.
 */
import { ERROR_CATALOG } from "../errors.js";
import { readSseData } from "./sse.js";

import type { AdminModel } from "../admin/models-routes.js";

/** One model as `GET /api/models` lists it: the server's own type (a type-only import). */
export type ApiModel = AdminModel;

/** The body of `GET /api/models` and `POST /api/models/discover`. */
export interface ModelList {
  models: ApiModel[];
}

/** The result of `POST /api/models/load`. */
export interface LoadResult {
  model: string;
  loaded: true;
  memory_bytes: number | null;
  expires_at: string | null;
  load_ms: number;
}

/** What `GET /api/plugins` says of the store state the server runs (its plugin list left out). */
export interface PluginsState {
  /** The lock generation the server has applied; absent from servers before it. */
  generation?: number;
  /** Which store it runs (layout.ts `storeId`). */
  store_id?: string;
}

/** The body of `GET /health`, as far as the CLI reads it. */
export interface HealthState {
  status: string;
}

/** One message of a chat, as `POST /v1/chat/completions` takes it. */
export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

/** Options of {@link ApiClient.streamChat}. */
export interface ChatStreamOptions {
  /** Called with each piece of the answer as it arrives. */
  onText(text: string): void;
  /** Stops the answer: the request is cancelled and the call resolves with `stopped: true`. */
  signal?: AbortSignal;
  /** How long the stream may stay silent, in ms (a first answer may wait for a model to load). */
  idleTimeoutMs?: number;
}

/** How a streamed chat answer ended. */
export interface ChatStreamResult {
  /** The server's `finish_reason` (`stop`, `length`…); null when stopped or when the server sent none. */
  finishReason: string | null;
  /** Whether `signal` stopped the answer before the server finished it. */
  stopped: boolean;
}

/** The result of `POST /api/models/unload`. */
export interface UnloadResult {
  model: string;
  loaded: false;
}

/** The server answered with an error (OpenAI's shape, or anything else with a failing status). */
export class ApiError extends Error {
  constructor(
    message: string,
    /** The HTTP status; for an error event inside a 200 stream, the catalog status of its code. */
    readonly status: number,
    readonly code: string | null,
    readonly type: string | null = null,
    readonly param: string | null = null,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** No usable answer came back from `url`. */
export class ConnectionError extends Error {
  constructor(
    message: string,
    readonly url: string,
    /** `refused`: nothing listens there; `timeout`: no answer in time; `network`: anything else. */
    readonly reason: "refused" | "timeout" | "network",
  ) {
    super(message);
    this.name = "ConnectionError";
  }
}

/** Options of {@link ApiClient}. */
export interface ApiClientOptions {
  /** The server's base URL, without `/api` (`http://127.0.0.1:11435`). */
  url: string;
  /** Sent as `Authorization: Bearer KEY` when set. */
  apiKey?: string | null;
  /** How long a request may go without receiving anything, in ms. */
  timeoutMs?: number;
}

/** Options of {@link ApiClient.loadModel}. */
export interface LoadOptions {
  /** Seconds (a number, -1 for never) or a duration string such as `10m`, passed to the server as is. */
  keepAlive?: number | string;
  /** Called with the fraction loaded, 0 to 1, for each progress event. */
  onProgress?: (fraction: number) => void;
  /** How long the load stream may stay silent, in ms. */
  idleTimeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;
// Discovery reads the header of every GGUF file in several folders; a large Hugging Face cache on
// a slow disk can take well over the usual timeout.
const DISCOVER_TIMEOUT_MS = 120_000;
// A chat request may wait for its model to load (and for a free slot) before the first token.
const CHAT_TIMEOUT_MS = 300_000;
// Between progress events a load can be silent for long (mapping tens of GB, creating the
// context), and a load that gives up early would leave the server loading anyway.
const LOAD_IDLE_TIMEOUT_MS = 300_000;

/** A fetch-based client for the admin API of one server. */
export class ApiClient {
  readonly url: string;
  private readonly apiKey: string | null;
  private readonly timeoutMs: number;

  constructor(options: ApiClientOptions) {
    // Keep any path prefix (a reverse proxy's), drop trailing slashes so paths join cleanly.
    this.url = options.url.replace(/\/+$/, "");
    this.apiKey = options.apiKey ?? null;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** `GET /api/models`: every model the server found, loaded or not. */
  listModels(): Promise<ModelList> {
    return this.json<ModelList>("GET", "/api/models");
  }

  /** `POST /api/models/discover`: rescans the model folders, then lists. */
  discoverModels(): Promise<ModelList> {
    return this.json<ModelList>("POST", "/api/models/discover", {}, Math.max(this.timeoutMs, DISCOVER_TIMEOUT_MS));
  }

  /** `GET /api/plugins`, for the store generation the server has applied. */
  pluginsState(): Promise<PluginsState> {
    return this.json<PluginsState>("GET", "/api/plugins");
  }

  /** `GET /health`: answers as soon as a server listens, with no key needed. */
  health(): Promise<HealthState> {
    return this.json<HealthState>("GET", "/health");
  }

  /** `POST /v1/chat/completions` without streaming: the whole completion object. */
  chat(body: Record<string, unknown>): Promise<Record<string, unknown>> {
    return this.json<Record<string, unknown>>("POST", "/v1/chat/completions", { ...body, stream: false }, Math.max(this.timeoutMs, CHAT_TIMEOUT_MS));
  }

  /**
   * `POST /v1/chat/completions` with `stream: true`, handing each piece of the answer to
   * `onText`. An error before the stream (an unknown model: 404) or inside it throws {@link ApiError}.
   */
  async streamChat(body: Record<string, unknown>, options: ChatStreamOptions): Promise<ChatStreamResult> {
    const timer = new IdleTimer(options.idleTimeoutMs ?? Math.max(this.timeoutMs, CHAT_TIMEOUT_MS));
    const signal = options.signal ? AbortSignal.any([timer.signal, options.signal]) : timer.signal;
    let finishReason: string | null = null;
    try {
      const response = await this.send("POST", "/v1/chat/completions", { ...body, stream: true }, timer, "text/event-stream", signal);
      for await (const data of readSseData(response.body!, () => timer.reset())) {
        if (data === "[DONE]") break;
        const chunk = parseJson(data) as { error?: unknown; choices?: { delta?: { content?: unknown }; finish_reason?: unknown }[] } | undefined;
        if (chunk === undefined || typeof chunk !== "object" || chunk === null) {
          throw new ApiError(`the server sent a chat chunk that is not JSON: ${snippet(data)}`, response.status, "invalid_response");
        }
        if (chunk.error !== undefined) throw errorFromBody(chunk, errorStatus(chunk));
        const choice = chunk.choices?.[0];
        if (typeof choice?.delta?.content === "string" && choice.delta.content !== "") options.onText(choice.delta.content);
        if (typeof choice?.finish_reason === "string") finishReason = choice.finish_reason;
      }
      return { finishReason, stopped: false };
    } catch (err) {
      // Stopping is the caller's wish, not a failure: the server sees the closed connection and stops too.
      if (options.signal?.aborted && !timer.timedOut) return { finishReason: null, stopped: true };
      throw this.mapFailure(err, timer);
    } finally {
      timer.clear();
    }
  }

  /** `POST /api/models/unload`. */
  unloadModel(model: string): Promise<UnloadResult> {
    return this.json<UnloadResult>("POST", "/api/models/unload", { model });
  }

  /**
   * `POST /api/models/load`, asking for the SSE progress stream. A server that answers with plain
   * JSON instead is accepted too (no progress is reported then).
   */
  async loadModel(model: string, options: LoadOptions = {}): Promise<LoadResult> {
    const body = options.keepAlive === undefined ? { model } : { model, keep_alive: options.keepAlive };
    const timer = new IdleTimer(options.idleTimeoutMs ?? Math.max(this.timeoutMs, LOAD_IDLE_TIMEOUT_MS));
    try {
      const response = await this.send("POST", "/api/models/load", body, timer, "text/event-stream");
      if (!(response.headers.get("content-type") ?? "").includes("text/event-stream")) {
        return await this.readJson<LoadResult>(response, timer);
      }
      for await (const data of readSseData(response.body!, () => timer.reset())) {
        if (data === "[DONE]") break;
        const event = parseJson(data) as { progress?: unknown; error?: unknown; loaded?: unknown } | undefined;
        if (event === undefined || typeof event !== "object" || event === null) {
          throw new ApiError(`the server sent a load event that is not JSON: ${snippet(data)}`, response.status, "invalid_response");
        }
        if (event.error !== undefined) throw errorFromBody(event, errorStatus(event));
        if (typeof event.progress === "number") options.onProgress?.(event.progress);
        else if (event.loaded === true) return event as unknown as LoadResult;
      }
      throw new ApiError("the server ended the load stream before the model was loaded", response.status, "invalid_response");
    } catch (err) {
      throw this.mapFailure(err, timer);
    } finally {
      timer.clear();
    }
  }

  /** Any JSON route (`/api/workflows…`): the answer's JSON; an error answer throws {@link ApiError}. */
  request<T>(method: string, path: string, body?: unknown): Promise<T> {
    return this.json<T>(method, path, body);
  }

  /**
   * A route that answers with server-sent events: yields each event's JSON until `[DONE]` or the end
   * of the stream. Only the answer's start is timed: the stream may then stay silent as long as the
   * work takes. Aborting `signal` ends it quietly; an error answer before the stream throws {@link ApiError}.
   */
  async *events(method: string, path: string, body: unknown, signal?: AbortSignal): AsyncGenerator<unknown> {
    const timer = new IdleTimer(this.timeoutMs);
    try {
      const response = await this.send(method, path, body, timer, "text/event-stream", signal ? AbortSignal.any([timer.signal, signal]) : timer.signal);
      timer.clear();
      for await (const data of readSseData(response.body!)) {
        if (data === "[DONE]") return;
        const event = parseJson(data);
        if (event === undefined) throw new ApiError(`the server sent an event that is not JSON: ${snippet(data)}`, response.status, "invalid_response");
        yield event;
      }
    } catch (err) {
      if (signal?.aborted && !timer.timedOut) return;
      throw this.mapFailure(err, timer);
    } finally {
      timer.clear();
    }
  }

  private async json<T>(method: string, path: string, body?: unknown, timeoutMs = this.timeoutMs): Promise<T> {
    const timer = new IdleTimer(timeoutMs);
    try {
      return await this.readJson<T>(await this.send(method, path, body, timer, "application/json"), timer);
    } catch (err) {
      throw this.mapFailure(err, timer);
    } finally {
      timer.clear();
    }
  }

  /** Sends one request; resolves with a response whose status is a success, else throws {@link ApiError}. */
  private async send(method: string, path: string, body: unknown, timer: IdleTimer, accept: string, signal: AbortSignal = timer.signal): Promise<Response> {
    const headers: Record<string, string> = { accept };
    if (body !== undefined) headers["content-type"] = "application/json";
    if (this.apiKey) headers.authorization = `Bearer ${this.apiKey}`;
    const response = await fetch(this.url + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
    timer.reset();
    if (!response.ok) throw errorFromBody(parseJson(await response.text()), response.status, response.statusText);
    return response;
  }

  private async readJson<T>(response: Response, timer: IdleTimer): Promise<T> {
    const text = await response.text();
    timer.reset();
    const body = parseJson(text);
    if (body === undefined || typeof body !== "object" || body === null) {
      throw new ApiError(`the server at ${this.url} did not answer with JSON (is it Shimmy?): ${snippet(text)}`, response.status, "invalid_response");
    }
    return body as T;
  }

  /** Turns a fetch failure into a {@link ConnectionError}; API errors pass through. */
  private mapFailure(err: unknown, timer: IdleTimer): unknown {
    if (err instanceof ApiError) return err;
    if (timer.timedOut) {
      return new ConnectionError(`the server at ${this.url} did not answer within ${timer.ms / 1000} s`, this.url, "timeout");
    }
    if (hasCode(err, "ECONNREFUSED")) {
      return new ConnectionError(
        `no Shimmy server is running at ${this.url}. Start one with "npx shimmy serve", or point --url (or SHIMMY_URL) at a running one.`,
        this.url,
        "refused",
      );
    }
    if (err instanceof TypeError || hasCode(err, "ECONNRESET") || hasCode(err, "ENOTFOUND")) {
      return new ConnectionError(`cannot reach the server at ${this.url}: ${deepestMessage(err)}`, this.url, "network");
    }
    return err;
  }
}

/** An abort signal that fires after `ms` without a {@link reset}: a timeout on silence, not on total time. */
class IdleTimer {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  timedOut = false;

  constructor(readonly ms: number) {
    this.reset();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  reset(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.controller.abort();
    }, this.ms);
  }

  clear(): void {
    clearTimeout(this.timer);
  }
}

/** An {@link ApiError} from an error body; `fallback` words the status when the body is not OpenAI's shape. */
function errorFromBody(body: unknown, status: number, fallback = ""): ApiError {
  const error = (body as { error?: unknown } | undefined)?.error;
  if (error && typeof error === "object") {
    const e = error as { message?: unknown; type?: unknown; param?: unknown; code?: unknown };
    const str = (v: unknown) => (typeof v === "string" ? v : null);
    return new ApiError(str(e.message) ?? `HTTP ${status}`, status, str(e.code), str(e.type), str(e.param));
  }
  if (typeof error === "string") return new ApiError(error, status, null);
  return new ApiError(`HTTP ${status}${fallback ? ` ${fallback}` : ""}`, status, null);
}

/** The status an error event inside a stream would have had as a response. */
function errorStatus(event: { error?: unknown }): number {
  const code = (event.error as { code?: unknown } | undefined)?.code;
  const entry = typeof code === "string" ? (ERROR_CATALOG as Record<string, { status: number } | undefined>)[code] : undefined;
  return entry?.status ?? 500;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function snippet(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > 120 ? `${flat.slice(0, 120)}…` : flat || "(empty body)";
}

/** Whether an error, its causes or its aggregated errors (undici tries IPv4 and IPv6) carry `code`. */
function hasCode(err: unknown, code: string, depth = 0): boolean {
  if (err === null || typeof err !== "object" || depth > 5) return false;
  const e = err as { code?: unknown; cause?: unknown; errors?: unknown };
  if (e.code === code) return true;
  if (Array.isArray(e.errors) && e.errors.some((inner) => hasCode(inner, code, depth + 1))) return true;
  return hasCode(e.cause, code, depth + 1);
}

/** fetch says only "fetch failed"; the reason is in its cause. */
function deepestMessage(err: unknown): string {
  let current = err as { message?: unknown; cause?: unknown } | undefined;
  let message = String(err);
  for (let depth = 0; current && typeof current === "object" && depth < 5; depth++) {
    if (typeof current.message === "string" && current.message) message = current.message;
    current = current.cause as typeof current;
  }
  return message;
}
