/**
 * The middleware every Shimmy listener runs before its routes (the main app, `app.ts`, and the
 * Ollama listener, `ollama/ollama-app.ts`), in one order: request context (id, abort on
 * disconnect), request log, error rendering, Host check, Origin check with CORS, what needs no key,
 * API key, what reads no body, JSON body parsing. Everything that refuses a request runs before the
 * body is read and before any handler; a listener differs only in what it passes in (its error
 * shape, which origins it lets in, its extra routes).
 */
import type Router from "@koa/router";
import Koa, { type Middleware } from "koa";
import { apiKeyCheck } from "./api-key.js";
import { hostCheck } from "./host-check.js";
import { jsonBody } from "./json-body.js";
import { isLoopbackAddress } from "./loopback.js";
import { originCheck, type OriginCheckOptions } from "./origin-check.js";
import type { RequestLogFields, ShimmyState } from "./request-context.js";
import { requestContext } from "./request-id.js";
import { requestLog, type FinishedRequest } from "./request-log.js";
import type { Logger } from "../logger.js";

/** The settings of a listener's checks, which the main app's and the Ollama listener's options share. */
export interface ListenerOptions {
  logger: Logger;
  /** Largest request body, in bytes. */
  maxBodyBytes: number;
  /** The address the listener is bound to: the Host check applies while it is loopback. */
  listenHost: string;
  /** Host names accepted besides the loopback ones. @default none */
  allowedHosts?: readonly string[];
  /** Browser origins allowed besides the defaults (`--cors-origins`). @default none */
  corsOrigins?: readonly string[];
  /** The key every route after {@link RequestPipelineOptions.keyless} needs, when set. @default none */
  apiKey?: string | null;
}

/** Options of {@link createRequestPipeline}. */
export interface RequestPipelineOptions extends ListenerOptions {
  /** Counts each finished request (the metrics). @default not counted */
  observeRequest?: (request: FinishedRequest) => void;
  /** Fields every request's log line starts with (the Ollama listener's `api`). @default none */
  logFields?: Readonly<RequestLogFields>;
  /** Renders every error in the listener's shape. */
  errorHandler: Middleware<ShimmyState>;
  /** Which origins the Origin check lets in besides {@link ListenerOptions.corsOrigins}. @default the main app's rules */
  origins?: Omit<OriginCheckOptions, "corsOrigins">;
  /** Routers served before the key check: files that hold no data (the web page). @default none */
  keyless?: readonly Router<ShimmyState>[];
  /** Routers served after the key check but before a body is read (a GET such as `/metrics`). @default none */
  bodyless?: readonly Router<ShimmyState>[];
}

/**
 * A Koa application holding the middleware every listener runs; the caller adds its routers.
 *
 * @example
 * const app = createRequestPipeline({ logger, listenHost, maxBodyBytes, errorHandler: errorHandler(logger) });
 * app.use(router.routes());
 */
export function createRequestPipeline(options: RequestPipelineOptions): Koa<ShimmyState> {
  const app = new Koa<ShimmyState>();
  // Errors are rendered by the error handler; Koa's own would print stacks to stderr.
  app.silent = true;
  app.use(requestContext());
  const { logFields } = options;
  if (logFields) {
    app.use((ctx, next) => {
      Object.assign(ctx.state.log, logFields);
      return next();
    });
  }
  app.use(requestLog(options.logger, options.observeRequest));
  app.use(options.errorHandler);
  app.use(hostCheck({ listenHost: options.listenHost, loopback: isLoopbackAddress(options.listenHost), allowedHosts: options.allowedHosts ?? [] }));
  app.use(originCheck({ ...options.origins, corsOrigins: options.corsOrigins ?? [] }));
  for (const router of options.keyless ?? []) app.use(router.routes());
  app.use(apiKeyCheck(options.apiKey ?? null));
  for (const router of options.bodyless ?? []) app.use(router.routes());
  app.use(jsonBody(options.maxBodyBytes));
  return app;
}
