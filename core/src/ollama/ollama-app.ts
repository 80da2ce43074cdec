/**
 * The Koa application of the Ollama listener: a second port (Ollama's 11434 with `--ollama-api`)
 * because Ollama clients hard-code `http://HOST:11434/api/...` and the main listener's `/api` is
 * Shimmy's admin API. It runs the same middleware as the main app, in the same order
 * (`http/request-pipeline.ts`), with its log line marked `"api": "ollama"`, errors in Ollama's
 * `{"error"}` shape and Ollama's origins, then its routers, over the same engine and plugin tools.
 */
import type Koa from "koa";
import type { Engine } from "../engine/types.js";
import type { ShimmyState } from "../http/request-context.js";
import type { FinishedRequest } from "../http/request-log.js";
import { createRequestPipeline, type ListenerOptions } from "../http/request-pipeline.js";
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

/** Options of {@link createOllamaApp}: the main app's listener settings, for the same checks. */
export interface OllamaAppOptions extends ListenerOptions {
  engine: Engine;
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
  const app = createRequestPipeline({
    ...options,
    logFields: { api: "ollama" },
    errorHandler: ollamaErrorHandler(options.logger),
    // Ollama lets pages on localhost call every route, and its desktop apps' schemes in.
    origins: { loopbackEverywhere: true, schemeOrigins: OLLAMA_DESKTOP_ORIGINS },
  });
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
