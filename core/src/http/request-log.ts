/** One structured log line per request, written when the response has been sent or abandoned. */
import type { Middleware } from "koa";
import type { Logger } from "../logger.js";
import type { ShimmyState } from "./request-context.js";

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

/** Logs id, route, model, status, token counts, time to first token and duration of every request. */
export function requestLog(logger: Logger): Middleware<ShimmyState> {
  return async (ctx, next) => {
    ctx.res.once("close", () => {
      const closedEarly = !ctx.res.writableFinished;
      void Promise.resolve(ctx.state.work).catch(() => undefined).then(() => write(closedEarly));
    });
    const write = (closedEarly: boolean) => {
      const { requestId, startedAt, log } = ctx.state;
      const level = isPoll(ctx.method, ctx.path) ? "debug" : "info";
      logger[level]({
        event: "request",
        requestId,
        method: ctx.method,
        route: ctx.path,
        // A client that left never saw a status; 499 says so, as nginx logs it.
        status: closedEarly ? 499 : ctx.status,
        ...log,
        ...(closedEarly ? { outcome: "client_closed" } : {}),
        durationMs: Math.round((performance.now() - startedAt) * 100) / 100,
      });
    };
    await next();
  };
}
