/** What Shimmy's middleware keeps on `ctx.state` for one request. */
import type { Context } from "koa";

/** Fields the request's log line reports, filled in by the handlers. */
export interface RequestLogFields {
  model?: string;
  /** The plugin tool a `/api/tools/call` request called (`plugin/tool` when named). */
  tool?: string;
  promptTokens?: number;
  /** Of `promptTokens`, those the slot's KV cache already held (prefix reuse), where the engine reports it. */
  promptTokensReused?: number;
  completionTokens?: number;
  /** Milliseconds from the request's arrival to its first generated text. */
  ttftMs?: number;
  stream?: boolean;
  /** A request for a route (`routing/routes/`): the route, why `model` serves it, and the candidates that failed before it. */
  route?: { id: string; reason: string; router?: string; fallbacks: string[] };
  /** The upstream server that served (`routing/upstreams/`): which member, when the model is a pool's. */
  upstream?: string;
  /** Why a request ended early: the client left, or an error after the stream began. */
  outcome?: "client_closed" | "stream_error";
}

/** Shimmy's per-request state. */
export interface ShimmyState {
  requestId: string;
  /** `performance.now()` when the request arrived. */
  startedAt: number;
  /** Aborted when the client goes away before the response is finished. */
  abort: AbortController;
  log: RequestLogFields;
  /**
   * The generation behind the response, which can outlive it (a client that leaves mid-stream):
   * the log line waits for it so it reports the tokens that were really used.
   */
  work?: Promise<unknown>;
  /** The parsed JSON body, on requests that carry one. */
  body?: unknown;
  /**
   * Called just before a generated answer's stream sends its status and headers: that stream is
   * written to the socket while the middleware still runs (`http/generation-answer.ts`), so a
   * middleware that names something in a header after `next()` also sets it here.
   */
  beforeHeaders?: (() => void)[];
}

/** The Koa context of a Shimmy request. */
export type ShimmyContext = Context & { state: ShimmyState };
