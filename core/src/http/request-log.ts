/** One structured log line per request, written when the response has been sent or abandoned. */
import type { Middleware } from "koa";
import type { Logger } from "../logger.js";
import type { RequestLogFields, ShimmyState } from "./request-context.js";

/** A request as its log line reports it, for what counts requests (`metrics/`). */
export interface FinishedRequest {
  method: string;
  /** The matched route's template (`/v1/models/*id`); undefined when no route matched. */
  routeTemplate: string | undefined;
  status: number;
  durationMs: number;
  log: RequestLogFields;
}

/**
 * Routes that supervisors and the CLI poll (`/health` every few seconds, `GET /api/plugins` while
 * `shimmy plugin` waits for the server to apply a change): logged at debug, so the info log is the
 * requests someone made.
 */
const POLLED_ROUTES: ReadonlySet<string> = new Set(["GET /health", "HEAD /health", "GET /api/plugins"]);

/** Whether a request is a poll, logged at debug only. */
export function isPoll(method: string, route: string): boolean {
  return POLLED_ROUTES.has(`${method} ${route}`);
}

/**
 * Logs id, route, model, status, token counts, time to first token and duration of every request,
 * and hands the same to `onFinished` (the metrics).
 */
export function requestLog(logger: Logger, onFinished?: (request: FinishedRequest) => void): Middleware<ShimmyState> {
  return async (ctx, next) => {
    ctx.res.once("close", () => {
      const closedEarly = !ctx.res.writableFinished;
      void Promise.resolve(ctx.state.work).catch(() => undefined).then(() => write(closedEarly));
    });
    const write = (closedEarly: boolean) => {
      const { requestId, startedAt, log } = ctx.state;
      const level = isPoll(ctx.method, ctx.path) ? "debug" : "info";
      // A client that left never saw a status; 499 says so, as nginx logs it.
      const status = closedEarly ? 499 : ctx.status;
      const durationMs = Math.round((performance.now() - startedAt) * 100) / 100;
      logger[level]({
        event: "request",
        requestId,
        method: ctx.method,
        route: ctx.path,
        status,
        ...log,
        ...(closedEarly ? { outcome: "client_closed" } : {}),
        durationMs,
      });
      // @koa/router's `_matchedRoute` is the template, so the metrics' labels stay few.
      const template = (ctx as { _matchedRoute?: unknown })._matchedRoute;
      onFinished?.({ method: ctx.method, routeTemplate: typeof template === "string" ? template : undefined, status, durationMs, log });
    };
    await next();
  };
}
