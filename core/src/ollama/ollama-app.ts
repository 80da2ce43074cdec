/**
 * The Koa application of the Ollama listener: a second port (Ollama's 11434 with `--ollama-api`)
 * because Ollama clients hard-code `http://HOST:11434/api/...` and the main listener's `/api` is
 * Shimmy's admin API. It is built from the same middleware as the main app (`app.ts`), in the same
 * order: request context (its log line marked `"api": "ollama"`), request log, error rendering
 * (Ollama's `{"error"}` shape here), Host check, Origin check with CORS, API key, JSON body parsing,
 * then the routers, over the same engine and plugin tools.
 */
import Koa from "koa";
import type { Engine } from "../engine/types.js";
import { apiKeyCheck } from "../http/api-key.js";
import { hostCheck } from "../http/host-check.js";
import { jsonBody } from "../http/json-body.js";
import { isLoopbackAddress } from "../http/loopback.js";
import { originCheck } from "../http/origin-check.js";
import type { ShimmyState } from "../http/request-context.js";
import { requestContext } from "../http/request-id.js";
import { requestLog, type FinishedRequest } from "../http/request-log.js";
import type { Logger } from "../logger.js";
import type { PluginToolSource } from "../tools/plugin-tool-source.js";
import type { DefaultPlugins } from "../tools/select-plugin-tools.js";
import { ollamaEmbedRouter } from "./embed-routes.js";
import { ollamaErrorHandler } from "./error-handler.js";
import { ollamaGenerationRouter } from "./generation-routes.js";
import { ollamaModelRouter } from "./model-routes.js";

declare module "../http/request-context.js" {
  interface RequestLogFields {
    /** Set on the Ollama listener's requests, whose routes (`/api/chat`) the main listener's log could be mistaken for. */
    api?: "ollama";
  }
}

/** Ollama's own default allowed origins for desktop apps (its `OLLAMA_ORIGINS` defaults), on this listener only. */
export const OLLAMA_DESKTOP_ORIGINS = ["app://*", "file://*", "tauri://*", "vscode-webview://*"] as const;

/** Ollama's default port, where `--ollama-api` listens. */
export const OLLAMA_DEFAULT_PORT = 11434;

/** Options of {@link createOllamaApp}: the main app's, for the same checks. */
export interface OllamaAppOptions {
  engine: Engine;
  logger: Logger;
  /** Largest request body, in bytes. */
  maxBodyBytes: number;
  /** The address the listener is bound to: the Host check applies while it is loopback. */
  listenHost: string;
  /** Host names accepted besides the loopback ones. */
  allowedHosts?: readonly string[];
  /** Browser origins allowed besides the defaults (`--cors-origins`). */
  corsOrigins?: readonly string[];
  /** The key every route needs, when set. */
  apiKey?: string | null;
  /** The installed plugins whose tools chat requests may get. */
  plugins?: PluginToolSource;
  /** `defaultPlugins` of config.json: the plugin tools a chat request gets. @default none */
  defaultPlugins?: DefaultPlugins;
  /** Counts each request in the main app's metrics (`app.metrics.observeRequest`). @default not counted */
  observeRequest?: (request: FinishedRequest) => void;
}

/**
 * The Ollama listener's port from the settings: `--ollama-port` (0 picks a free one), else 11434
 * with `--ollama-api`; null when neither asks for it.
 */
export function ollamaPortOf(config: { ollamaPort: number | null; ollamaApi: boolean }): number | null {
  return config.ollamaPort ?? (config.ollamaApi ? OLLAMA_DEFAULT_PORT : null);
}

/** The Ollama listener's application, ready for `app.callback()`. */
export function createOllamaApp(options: OllamaAppOptions): Koa<ShimmyState> {
  const app = new Koa<ShimmyState>();
  // Errors are rendered by the error handler; Koa's own would print stacks to stderr.
  app.silent = true;
  app.use(requestContext());
  app.use((ctx, next) => {
    ctx.state.log.api = "ollama";
    return next();
  });
  app.use(requestLog(options.logger, options.observeRequest));
  app.use(ollamaErrorHandler(options.logger));
  app.use(hostCheck({ listenHost: options.listenHost, loopback: isLoopbackAddress(options.listenHost), allowedHosts: options.allowedHosts ?? [] }));
  // Ollama lets pages on localhost call every route, and its desktop apps' schemes in.
  app.use(originCheck({ corsOrigins: options.corsOrigins ?? [], loopbackEverywhere: true, schemeOrigins: OLLAMA_DESKTOP_ORIGINS }));
  app.use(apiKeyCheck(options.apiKey ?? null));
  app.use(jsonBody(options.maxBodyBytes));
  const routers = [
    ollamaModelRouter(options.engine),
    ollamaGenerationRouter({
      engine: options.engine,
      ...(options.plugins ? { plugins: options.plugins } : {}),
      ...(options.defaultPlugins ? { defaultPlugins: options.defaultPlugins } : {}),
    }),
    ollamaEmbedRouter(options.engine),
  ];
  for (const router of routers) app.use(router.routes());
  return app;
}
