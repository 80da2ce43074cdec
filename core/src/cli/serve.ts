/** `shimmy serve`: starts the server and prints exactly one `listening` line on stdout. */
import { loadServeConfig, serveHelp } from "../config/index.js";
import { createLogger } from "../logger.js";
import { startServer } from "../server.js";

/** Runs `shimmy serve` with the given arguments; resolves when the server has stopped. */
export async function serveCommand(argv: string[]): Promise<void> {
  const loaded = loadServeConfig({ argv });
  if (loaded.help) {
    process.stdout.write(serveHelp());
    return;
  }
  const logger = createLogger(loaded.config.logLevel, loaded.config.logFormat);
  const server = await startServer({ config: loaded.config, logger, home: loaded.home, aliases: loaded.aliases, defaultPlugins: loaded.defaultPlugins });
  process.stdout.write(JSON.stringify({ event: "listening", url: server.url }) + "\n");
  // Always after the main line, which tests and scripts read first.
  if (server.ollamaUrl) process.stdout.write(JSON.stringify({ event: "listening", api: "ollama", url: server.ollamaUrl }) + "\n");

  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      logger.info({ event: "shutdown", signal }, "shutting down");
      server.close().then(resolve, (err: unknown) => {
        logger.error({ err }, "shutdown failed");
        resolve();
      });
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  logger.flush();
}
