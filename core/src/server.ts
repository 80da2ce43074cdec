/** Listens, prints the `listening` line, and shuts down cleanly: drain requests, then dispose models. */
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { createApp } from "./app.js";
import { isLoopbackAddress } from "./http/loopback.js";
import type { ServeConfig } from "./config/index.js";
import { LlamaEngine } from "./engine/llama-engine.js";
import type { Logger } from "./logger.js";
import { findModelFiles } from "./models/model-file.js";

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
  /** Where `./models` is looked for. @default process.cwd() */
  cwd?: string;
}

function formatUrl(address: AddressInfo): string {
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}

/** Finds the models, starts llama.cpp and listens. */
export async function startServer({ config, logger, cwd = process.cwd() }: StartServerOptions): Promise<RunningServer> {
  const modelsDir = path.join(cwd, "models");
  const files = await findModelFiles(config.model, modelsDir);
  for (const file of files) {
    if (file.invalidReason) {
      logger.warn({ event: "model_refused", model: file.id, path: file.path, reason: file.invalidReason }, `refusing ${file.path}: ${file.invalidReason}`);
    }
  }
  if (!files.some((f) => !f.invalidReason)) {
    logger.warn(
      { event: "no_models", modelsDir },
      `No model to serve. Put a .gguf file in ${modelsDir} or pass --model FILE, then restart.`,
    );
  }
  const engine = await LlamaEngine.create({
    models: files,
    threads: config.threads,
    parallel: config.parallel,
    contextSize: config.ctxSize,
    queueSize: config.queueSize,
    gpu: config.gpu,
    logger,
  });
  const app = createApp({
    engine,
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
  const server = http.createServer({ noDelay: true }, app.callback());
  // Generations can run for minutes; Node's default request timeout would cut them off.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const url = formatUrl(server.address() as AddressInfo);
  logger.info({ event: "listening", url, models: files.filter((f) => !f.invalidReason).map((f) => f.id) }, `listening on ${url}`);

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
        await engine.dispose();
      })();
      return closing;
    },
  };
}
