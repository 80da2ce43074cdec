/**
 * Builds the Koa application. The middleware order is listed here once:
 * request context (id, abort on disconnect), request log, error rendering, JSON body parsing,
 * then the routers. (The local-security checks slot in before the body parser.)
 */
import Koa from "koa";
import type { Engine } from "./engine/types.js";
import { errorHandler } from "./http/error-handler.js";
import { jsonBody } from "./http/json-body.js";
import type { ShimmyState } from "./http/request-context.js";
import { requestContext } from "./http/request-id.js";
import { requestLog } from "./http/request-log.js";
import type { Logger } from "./logger.js";
import { healthRouter } from "./http/health.js";
import { openAIRouter } from "./openai/routes.js";

/** Options of {@link createApp}. */
export interface AppOptions {
  engine: Engine;
  logger: Logger;
  /** Largest request body, in bytes. */
  maxBodyBytes: number;
}

/** The HTTP application, ready for `app.callback()`. */
export function createApp(options: AppOptions): Koa<ShimmyState> {
  const app = new Koa<ShimmyState>();
  // Errors are rendered by errorHandler; Koa's own handler would print stacks to stderr.
  app.silent = true;
  app.use(requestContext());
  app.use(requestLog(options.logger));
  app.use(errorHandler(options.logger));
  app.use(jsonBody(options.maxBodyBytes));
  for (const router of [healthRouter(options.engine), openAIRouter(options.engine)]) {
    app.use(router.routes());
  }
  return app;
}
