/** Listens, prints the `listening` line, and shuts down cleanly: drain requests, then dispose models and plugins. */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { createApp } from "./app.js";
import { defaultEmbeddingModelOf } from "./vectors/vector-stores-config.js";
import { bindListener } from "./http/listen.js";
import { isLoopbackAddress } from "./http/loopback.js";
import type { DefaultPlugins, ServeConfig } from "./config/index.js";
import { hubCache, hubSettingsFromEnv } from "./config/environment.js";
import { checkGpuSetting } from "./engine/gpu-check.js";
import { pulledRecordPath } from "./models/pull/pulled-record.js";
import { LlamaEngine } from "./engine/llama-engine.js";
import type { Logger } from "./logger.js";
import { parseKeepAlive, parseRetention } from "./config/duration.js";
import { InstalledPlugins } from "./plugins/installed-plugins.js";
import { readUpstreams } from "./config/upstreams.js";
import { withUpstreams } from "./routing/upstreams/index.js";
import { engineChat, pluginRouterCall, reloadRoutesOnHangup, RoutedEngine, routesOf } from "./routing/routes/index.js";
import { readConfigFile } from "./config/config-file.js";
import { RescanLoop } from "./rescan-loop.js";
import { createOllamaApp, ollamaPortOf } from "./ollama/ollama-app.js";
import { bindOllamaListener } from "./ollama/ollama-listener.js";
import { storeLayout } from "./plugins/store/layout.js";
import { CORE_VERSION } from "./version.js";
import { startResponseSweep } from "./state/response-sweep.js";
import { SqliteResponseStore } from "./state/responses-repo.js";
import { openStateDb, stateDbPath } from "./state/state-db.js";
import { checkModelFiles, discoverModels, HeaderCache, modelRoots, watchModelRoots, type DiscoverOptions, type DiscoveredModel } from "./models/index.js";

/** A running server. */
export interface RunningServer {
  /** `http://HOST:PORT`, with the port actually bound. */
  url: string;
  /** The Ollama listener's `http://HOST:PORT` (`--ollama-port`, `--ollama-api`); null when it is off. */
  ollamaUrl: string | null;
  /** Stops accepting, waits up to `graceMs` for requests in flight, then frees every model. */
  close(graceMs?: number): Promise<void>;
}

/** Options of {@link startServer}. */
export interface StartServerOptions {
  config: ServeConfig;
  logger: Logger;
  /** `$SHIMMY_HOME`: probe verdicts, and the installed plugins. */
  home: string;
  /** Aliases from config.json: alias → model id. */
  aliases?: Readonly<Record<string, string>>;
  /** `defaultPlugins` from config.json: the plugins a chat request that names none gets. */
  defaultPlugins?: DefaultPlugins;
  /** Where `./models` is looked for. @default process.cwd() */
  cwd?: string;
  /** Where discovery reads HOME and the cache variables. @default process.env */
  env?: NodeJS.ProcessEnv;
}

function formatUrl(address: AddressInfo): string {
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}

/**
 * Finds the models, starts llama.cpp and listens; rescans when model folders change. Mistakes the user
 * can fix are found first, before the slow part (discovery, llama.cpp), in the order they are cheap to
 * check: the `--gpu` backend, the `--model` files, then the port, which is bound and held from then on.
 * @throws StartupError for each of those, with one sentence saying what to do.
 */
export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const { config, logger, home } = options;
  const discovery = discoveryOptions(options);
  await checkGpuSetting(config.gpu);
  await checkModelFiles({ files: config.model, cwd: discovery.cwd, env: discovery.env, cache: discovery.cache });
  // Before the port: a database from a newer Shimmy is a mistake to report at once.
  const state = openStateDb({ file: stateDbPath(home), synchronous: config.dbSynchronous });
  const upstreams = readUpstreams(home, discovery.env);
  const listener = await bindListener({ host: config.host, port: config.port });
  const ollamaPort = ollamaPortOf(config);
  const ollamaListener = ollamaPort === null ? null : await bindOllamaListener(config.host, ollamaPort).catch(listener.abandon);
  const found = await discover(discovery, logger);
  warnIfNoModels(found.models, discovery.cwd, logger);
  const engine = await startEngine(config, found, home, logger).catch(listener.abandon);
  const models = watchModels(discovery, engine, logger);
  // Around the local engine: upstream servers' models (UPSTREAM/MODEL), after their first health check.
  const scaled = await withUpstreams(engine, { upstreams, logger, queueSize: config.queueSize }).catch(listener.abandon);
  const pluginStore = storeLayout(home);
  const plugins = new InstalledPlugins({ layout: pluginStore, logger, chat: engineChat(scaled) });
  // Outermost: route ids ("auto", config.json's `routes`) pick a model, then reach the engine within.
  const served = new RoutedEngine({ inner: scaled, routes: routesOf(readConfigFile(home)), callRouter: pluginRouterCall(plugins), logger });
  // `kill -HUP` re-reads config.json's routes (docs/guides/routing.md).
  const stopRoutesReload = reloadRoutesOnHangup(served, home, logger);
  const ttlMs = parseRetention(config.responseTtl, "--response-ttl");
  const sweep = startResponseSweep({
    responses: new SqliteResponseStore(state.db),
    onSwept: (count) => logger.info({ event: "responses_expired", count }, `deleted ${count} expired stored responses`),
    onError: (err) => logger.warn({ err }, "deleting expired stored responses failed"),
  });
  const app = createApp({
    plugins,
    pluginStore,
    defaultPlugins: options.defaultPlugins ?? {},
    engine: served,
    ...(upstreams.length > 0 ? { upstreamHealth: { statuses: () => scaled.upstreamHealth(), problems: () => scaled.upstreamProblems() } } : {}),
    rediscover: () => models.request(),
    logger,
    maxBodyBytes: config.maxBody,
    listenHost: config.host,
    allowedHosts: config.allowedHosts,
    corsOrigins: config.corsOrigins,
    apiKey: config.apiKey,
    state,
    responseTtlSeconds: ttlMs === null ? null : Math.ceil(ttlMs / 1000),
    // Into the hub cache discovery scans, from the environment it reads.
    pull: { hubCache: hubCache(discovery.env, discovery.cwd), ...hubSettingsFromEnv(discovery.env), recordFile: pulledRecordPath(home) },
    vectorStores: { home, maxFileBytes: config.maxFileBytes, embeddingModel: defaultEmbeddingModelOf(readConfigFile(home)) },
  });
  warnIfExposed(config, logger);
  listener.serve(app.callback());
  const url = formatUrl(listener.address);
  // The same engine, plugin tools and checks, in Ollama's protocol (`ollama/`).
  ollamaListener?.serve(createOllamaApp({
    engine: served, logger, maxBodyBytes: config.maxBody, listenHost: config.host, allowedHosts: config.allowedHosts,
    corsOrigins: config.corsOrigins, apiKey: config.apiKey, plugins, defaultPlugins: options.defaultPlugins ?? {},
    observeRequest: app.metrics.observeRequest,
  }).callback());
  const ollama = ollamaListener ? running(formatUrl(ollamaListener.address), ollamaListener.server, async () => undefined, async () => undefined) : null;
  await plugins.start([{ host: config.host, port: listener.address.port }, ...(ollamaListener ? [{ host: config.host, port: ollamaListener.address.port }] : [])]);
  // After the plugins: a resumed run's next step may be a tool or a plugin step.
  await app.resumeWorkflows().catch((err: unknown) => logger.error({ err }, "resuming the unfinished workflow runs failed"));
  logger.info(listeningRecord(url, found.models, plugins), `listening on ${url}`);
  if (ollama) logger.info({ event: "ollama_listening", url: ollama.url }, `Ollama API listening on ${ollama.url}`);
  // The Ollama listener drains alongside the main one, and is closed before the engine is disposed.
  const main = running(url, listener.server, () => Promise.all([app.dispose(), ollama?.close()]).then(() => undefined), async () => {
    await ollama?.close();
    stopRoutesReload();
    // Not awaited: a rescan stuck on a hung network mount must not hold up the shutdown.
    void models.dispose();
    await Promise.all([plugins.dispose(), scaled.dispose()]);
    sweep.stop();
    state.dispose();
  });
  return { ...main, ollamaUrl: ollama?.url ?? null };
}

/**
 * The `listening` record: the URL, the servable models with how many came from each source, and the
 * plugins; `--log-format text` writes it as the start-up banner.
 */
function listeningRecord(url: string, models: readonly DiscoveredModel[], plugins: InstalledPlugins): Record<string, unknown> {
  const servable = models.filter((m) => !m.invalidReason);
  const sources: Record<string, number> = {};
  for (const model of servable) sources[model.source] = (sources[model.source] ?? 0) + 1;
  return {
    event: "listening",
    url,
    version: CORE_VERSION,
    models: servable.map((m) => m.id),
    // For the banner's `shimmy run MODEL`, which needs a model that chats.
    chatModel: servable.find((m) => m.capabilities.includes("chat"))?.id,
    sources,
    unusable: models.length - servable.length,
    plugins: plugins.list().map((p) => ({ name: p.name, version: p.version, status: p.status })),
  };
}

/** What discovery is told, once: the same options serve the first scan and every rescan. */
function discoveryOptions({ config, aliases = {}, cwd = process.cwd(), env = process.env }: StartServerOptions): DiscoverOptions & { cwd: string; env: NodeJS.ProcessEnv; cache: HeaderCache } {
  return { env, cwd, modelFiles: config.model, modelsDirs: config.modelsDir, discovery: !config.noDiscovery, aliases, cache: new HeaderCache() };
}

function warnIfNoModels(models: DiscoveredModel[], cwd: string, logger: Logger): void {
  if (models.some((m) => !m.invalidReason)) return;
  const modelsDir = path.join(cwd, "models");
  logger.warn({ event: "no_models", modelsDir }, `No model to serve. Put a .gguf file in ${modelsDir} or pass --model FILE.`);
}

function warnIfExposed(config: ServeConfig, logger: Logger): void {
  if (isLoopbackAddress(config.host) || config.apiKey !== null) return;
  logger.warn({ event: "exposed" }, `Listening on ${config.host} without --api-key: anyone who can reach this machine can use the server.`);
}

function startEngine(config: ServeConfig, found: Discovered, home: string, logger: Logger): Promise<LlamaEngine> {
  return LlamaEngine.create({
    models: found.models,
    aliases: found.aliases,
    threads: config.threads,
    parallel: config.parallel,
    contextSize: config.ctxSize,
    queueSize: config.queueSize,
    gpu: config.gpu,
    maxLoadedModels: config.maxLoadedModels,
    memoryBudget: config.memoryBudget,
    keepAlive: parseKeepAlive(config.keepAlive, "--keep-alive"),
    probeVerdictsFile: path.join(home, "probe-verdicts.json"),
    logger,
  });
}

/**
 * The model rescan: one at a time through {@link RescanLoop}, run when a model folder changes
 * (unless discovery is off) and by `POST /api/models/discover` (its `request()`).
 */
function watchModels(options: DiscoverOptions, engine: LlamaEngine, logger: Logger): { request(): Promise<void>; dispose(): Promise<void> } {
  const rescan = new RescanLoop({
    run: async () => {
      const next = await discover(options, logger);
      engine.setModels(next.models, next.aliases);
    },
    onError: (err) => logger.error({ err }, "rediscovery failed"),
  });
  const stopWatching = options.discovery
    ? watchModelRoots(modelRoots(options), () => rescan.schedule(), {
        onError: (err) => logger.warn({ err }, "cannot watch the model folders; POST /api/models/discover rescans them"),
      })
    : () => undefined;
  return {
    request: () => rescan.request(),
    dispose: () => {
      stopWatching();
      return rescan.dispose();
    },
  };
}

/**
 * The running server's handle: `close` stops accepting, ends the streams the routes hold open
 * (`endStreams`), drains for `graceMs`, then runs `dispose`, once.
 */
function running(url: string, server: Server, endStreams: () => Promise<void>, dispose: () => Promise<void>): Omit<RunningServer, "ollamaUrl"> {
  let closing: Promise<void> | undefined;
  return {
    url,
    close(graceMs = 10_000) {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        const timer = setTimeout(() => server.closeAllConnections(), graceMs);
        // Not awaited: the drain's deadline holds whatever ending them does.
        void endStreams().catch(() => undefined);
        await closed;
        clearTimeout(timer);
        await dispose();
      })();
      return closing;
    },
  };
}

type Discovered = { models: DiscoveredModel[]; aliases: Record<string, string> };

/** Scans for models and logs what was refused or could not be read. */
async function discover(options: DiscoverOptions, logger: Logger): Promise<Discovered> {
  const started = performance.now();
  const { models, aliases, problems } = await discoverModels(options);
  for (const model of models.filter((m) => m.invalidReason)) {
    logger.warn({ event: "model_refused", model: model.id, path: model.path, reason: model.invalidReason }, `refusing ${model.path}: ${model.invalidReason}`);
  }
  for (const problem of problems) logger.warn({ event: "discovery_problem" }, problem);
  logger.info({ event: "discovered", models: models.length, ms: Math.round(performance.now() - started) }, "models discovered");
  return { models, aliases };
}
