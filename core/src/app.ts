/**
 * Builds the Koa application. The middleware order is listed once, in `http/request-pipeline.ts`
 * (shared with the Ollama listener): request context (id, abort on disconnect), request log, error
 * rendering, Host check, Origin check with CORS, the web page's static files (web/web-page.ts says
 * why they need no key), API key, `/metrics` (a GET with no body), JSON body parsing; then route
 * reports (`x-shimmy-model`) and the routers. Everything that refuses a request runs before the
 * body is read and before any handler.
 */
import Koa from "koa";
import type { DefaultPlugins } from "./config/default-plugins.js";
import type { Engine, UpstreamMemberStatus } from "./engine/types.js";
import { errorHandler } from "./http/error-handler.js";
import type { ShimmyState } from "./http/request-context.js";
import { createRequestPipeline, type ListenerOptions } from "./http/request-pipeline.js";
import { healthRouter } from "./http/health.js";
import { openAIRouter } from "./openai/routes.js";
import { anthropicRouter } from "./anthropic/routes.js";
import { ANTHROPIC_ERROR_SHAPE } from "./anthropic/errors.js";
import { infillRouter } from "./infill/infill-routes.js";
import { createAppMetrics, type AppMetrics } from "./metrics/app-metrics.js";
import { metricsRouter } from "./metrics/metrics-router.js";
import { adminModelsRouter } from "./admin/models-routes.js";
import { adminPullRouter, type PullSettings } from "./admin/pull-route.js";
import { hubCache, hubSettingsFromEnv, shimmyHome } from "./config/environment.js";
import { pulledRecordPath } from "./models/pull/pulled-record.js";
import { adminPluginsRouter } from "./admin/plugins-routes.js";
import { adminPluginEnableRouter } from "./admin/plugin-enable-route.js";
import type { StoreLayout } from "./plugins/store/layout.js";
import { webPageRouter } from "./web/web-page.js";
import type { InstalledPlugins } from "./plugins/installed-plugins.js";
import { pluginIo } from "./plugins/io-watch.js";
import { mcpRouter } from "./mcp/mcp-router.js";
import { responsesApi } from "./responses/routes.js";
import { vectorStoresApi, type VectorStoresSettings } from "./openai/vector-stores-api.js";
import { workflowsApi } from "./admin/workflows-api.js";
import type { StateDb } from "./state/state-db.js";
import { routeReports } from "./routing/routes/route-report.js";

/** Options of {@link createApp}: the listener's settings (`apiKey`: every route but /health and the web page's files needs it), and what the routes serve. */
export interface AppOptions extends ListenerOptions {
  engine: Engine;
  /** Scans the model folders again (`POST /api/models/discover`). */
  rediscover(): Promise<void>;
  /** The installed plugins (`/api/plugins`, `/api/tools/call`, and the tools chat requests get). */
  plugins: InstalledPlugins;
  /** `defaultPlugins` of config.json: the plugins a chat request that names none gets. @default none */
  defaultPlugins?: DefaultPlugins;
  /** The state database (stored responses, conversations). @default a private in-memory one */
  state?: StateDb;
  /** Seconds a stored response is kept; null keeps it for good. @default 30 days */
  responseTtlSeconds?: number | null;
  /** Where `POST /api/models/pull` pulls to and from. @default from `process.env`, as `shimmy pull` reads it */
  pull?: PullSettings;
  /** The upstream servers' health, for `/health`: an `upstreams` field, and `degraded` while one fails its check. @default none */
  upstreamHealth?: { statuses(): readonly UpstreamMemberStatus[]; problems(): string[] };
  /** The plugin store `plugins` come from: `POST /api/plugins/enable` and `/disable` change it. @default those routes are absent */
  pluginStore?: StoreLayout;
  /** Files and vector stores: where they live, the upload limit, the default embedding model. @default a temporary home */
  vectorStores?: VectorStoresSettings;
}

/** The Koa application, and what its routes hold open beyond a request (MCP subscription streams). */
export type ShimmyApp = Koa<ShimmyState> & {
  /** Ends what the routes hold open, so that a shutdown's drain need not wait it out. */
  dispose(): Promise<void>;
  /** Goes on with the workflow runs a previous process left unfinished (call once the plugins have loaded); their ids. */
  resumeWorkflows(): Promise<string[]>;
  /** Its Prometheus metrics (`GET /metrics`); another listener's `requestLog` may feed `observeRequest`. */
  metrics: AppMetrics;
};

/** The HTTP application, ready for `app.callback()`. */
export function createApp(options: AppOptions): ShimmyApp {
  const metrics = createAppMetrics({ engine: options.engine });
  const app = createRequestPipeline({
    ...options,
    observeRequest: metrics.observeRequest,
    errorHandler: errorHandler(options.logger, [ANTHROPIC_ERROR_SHAPE]),
    keyless: [webPageRouter()],
    bodyless: [metricsRouter(metrics.registry)],
  });
  // Names the model a route chose in `x-shimmy-model` and the log line.
  app.use(routeReports());
  const mcp = mcpRouter({ plugins: options.plugins, logger: options.logger });
  const vectorStores = vectorStoresApi({
    engine: options.engine, embedders: options.plugins, logger: options.logger, ...(options.state ? { state: options.state } : {}), ...(options.vectorStores ? { settings: options.vectorStores } : {}),
  });
  const responses = responsesApi({
    engine: options.engine, plugins: options.plugins, defaultPlugins: options.defaultPlugins ?? {}, logger: options.logger, vectors: vectorStores.vectors,
    ...(options.state ? { state: options.state } : {}), ...(options.responseTtlSeconds === undefined ? {} : { ttlSeconds: options.responseTtlSeconds }),
  });
  const workflows = workflowsApi({
    engine: options.engine, plugins: options.plugins, defaultPlugins: options.defaultPlugins ?? {}, logger: options.logger, ...(options.state ? { state: options.state } : {}),
  });
  const routers = [
    healthRouter(options.engine, () => options.plugins.health(), [() => pluginIo.stuck(), ...(options.upstreamHealth ? [options.upstreamHealth.problems] : [])], options.upstreamHealth && (() => ({ upstreams: options.upstreamHealth!.statuses() }))),
    openAIRouter(options.engine, { plugins: options.plugins, embedders: options.plugins, defaultPlugins: options.defaultPlugins ?? {} }),
    infillRouter(options.engine),
    anthropicRouter(options.engine, { plugins: options.plugins, defaultPlugins: options.defaultPlugins ?? {} }),
    adminModelsRouter(options),
    adminPullRouter({ engine: options.engine, rediscover: options.rediscover, settings: options.pull ?? defaultPullSettings() }),
    adminPluginsRouter(options.plugins),
    ...(options.pluginStore ? [adminPluginEnableRouter({ plugins: options.plugins, layout: options.pluginStore })] : []),
    mcp.router,
    ...responses.routers,
    ...workflows.routers,
    ...vectorStores.routers,
  ];
  for (const router of routers) app.use(router.routes());
  return Object.assign(app, {
    dispose: async () => void (metrics.dispose(), await Promise.all([mcp.dispose(), responses.dispose(), workflows.dispose(), vectorStores.dispose()])),
    resumeWorkflows: () => workflows.resume(),
    metrics,
  });
}

/** The pull settings of this process's environment, as `shimmy pull` reads them. */
function defaultPullSettings(): PullSettings {
  return { hubCache: hubCache(), ...hubSettingsFromEnv(process.env), recordFile: pulledRecordPath(shimmyHome()) };
}
