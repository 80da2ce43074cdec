/** Listens, prints the `listening` line, and shuts down cleanly: drain requests, then dispose models. */
import type { AddressInfo } from "node:net";
import path from "node:path";
import { createApp } from "./app.js";
import { bindListener } from "./http/listen.js";
import { isLoopbackAddress } from "./http/loopback.js";
import type { ServeConfig } from "./config/index.js";
import { checkGpuSetting } from "./engine/gpu-check.js";
import { LlamaEngine } from "./engine/llama-engine.js";
import type { Logger } from "./logger.js";
import { parseKeepAlive } from "./config/duration.js";
import { InstalledPlugins } from "./plugins/installed-plugins.js";
import { storeLayout } from "./plugins/store/layout.js";
import { checkModelFiles, discoverModels, HeaderCache, modelRoots, watchModelRoots, type DiscoverOptions, type DiscoveredModel } from "./models/index.js";

/** A running server. */
export interface RunningServer {
  /** `http://HOST:PORT`, with the port actually bound. */
  url: string;
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
export async function startServer({ config, logger, home, aliases = {}, cwd = process.cwd(), env = process.env }: StartServerOptions): Promise<RunningServer> {
  const discoveryOptions: DiscoverOptions = {
    env, cwd, modelFiles: config.model, modelsDirs: config.modelsDir, discovery: !config.noDiscovery, aliases, cache: new HeaderCache(),
  };
  await checkGpuSetting(config.gpu);
  await checkModelFiles({ files: config.model, cwd, env, cache: discoveryOptions.cache });
  const listener = await bindListener({ host: config.host, port: config.port });
  const found = await discover(discoveryOptions, logger);
  if (!found.models.some((m) => !m.invalidReason)) {
    const modelsDir = path.join(cwd, "models");
    logger.warn({ event: "no_models", modelsDir }, `No model to serve. Put a .gguf file in ${modelsDir} or pass --model FILE.`);
  }
  const engine = await LlamaEngine.create({
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
  }).catch(listener.abandon);
  // One rescan at a time; a change during a rescan asks for one more after it.
  let rescan: Promise<void> | undefined;
  let again = false;
  const rediscover = async (): Promise<void> => {
    if (rescan) {
      again = true;
      return rescan;
    }
    rescan = (async () => {
      do {
        again = false;
        const next = await discover(discoveryOptions, logger);
        engine.setModels(next.models, next.aliases);
      } while (again);
    })().finally(() => (rescan = undefined));
    return rescan;
  };
  const stopWatching = discoveryOptions.discovery
    ? watchModelRoots(modelRoots(discoveryOptions), () => void rediscover().catch((err: unknown) => logger.error({ err }, "rediscovery failed")), {
        onError: (err) => logger.warn({ err }, "cannot watch the model folders; POST /api/models/discover rescans them"),
      })
    : () => undefined;

  const plugins = new InstalledPlugins({ layout: storeLayout(home), logger });
  const app = createApp({
    plugins,
    engine,
    rediscover,
    logger,
    maxBodyBytes: config.maxBody,
    listenHost: config.host,
    allowedHosts: config.allowedHosts,
    corsOrigins: config.corsOrigins,
    apiKey: config.apiKey,
  });
  if (!isLoopbackAddress(config.host) && config.apiKey === null) {
    logger.warn({ event: "exposed" }, `Listening on ${config.host} without --api-key: anyone who can reach this machine can use the server.`);
  }
  const { server, address } = listener;
  listener.serve(app.callback());
  const url = formatUrl(address);
  await plugins.start([{ host: config.host, port: address.port }]);
  logger.info({ event: "listening", url, models: found.models.filter((m) => !m.invalidReason).map((m) => m.id) }, `listening on ${url}`);

  let closing: Promise<void> | undefined;
  return {
    url,
    close(graceMs = 10_000) {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        const timer = setTimeout(() => server.closeAllConnections(), graceMs);
        await closed;
        clearTimeout(timer);
        stopWatching();
        await Promise.all([plugins.close(), engine.dispose()]);
      })();
      return closing;
    },
  };
}

/** Scans for models and logs what was refused or could not be read. */
async function discover(options: DiscoverOptions, logger: Logger): Promise<{ models: DiscoveredModel[]; aliases: Record<string, string> }> {
  const started = performance.now();
  const { models, aliases, problems } = await discoverModels(options);
  for (const model of models.filter((m) => m.invalidReason)) {
    logger.warn({ event: "model_refused", model: model.id, path: model.path, reason: model.invalidReason }, `refusing ${model.path}: ${model.invalidReason}`);
  }
  for (const problem of problems) logger.warn({ event: "discovery_problem" }, problem);
  logger.info({ event: "discovered", models: models.length, ms: Math.round(performance.now() - started) }, "models discovered");
  return { models, aliases };
}
