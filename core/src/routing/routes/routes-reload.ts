/**
 * Routes re-read on SIGHUP, the Unix way of telling a daemon to reload its configuration: nothing
 * else watches config.json (its other keys are read at start only), and a file watcher would apply
 * a half-saved edit. `kill -HUP PID` (or `systemctl reload`) re-reads `routes` from config.json; a
 * file that does not validate keeps the routes there were, with a warning naming what is wrong.
 * Requests already routed keep their decision; the next ones see the new routes. Upstreams are
 * not reloaded: their connections, health checks and in-flight requests are bound to them.
 */
import { readConfigFile } from "../../config/config-file.js";
import { routesOf, type RoutesConfig } from "./route-config.js";

/** What the reload needs of the routed engine. */
export interface ReloadableRoutes {
  setRoutes(routes: RoutesConfig): void;
}

/** The log methods the reload uses (a pino logger fits). */
export interface RoutesReloadLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/**
 * Re-reads `home`'s config.json and hands its routes to `engine`.
 * @returns the route ids now served, or null when the file did not validate (the routes stay).
 */
export function reloadRoutes(engine: ReloadableRoutes, home: string, logger: RoutesReloadLogger): string[] | null {
  let routes: RoutesConfig;
  try {
    routes = routesOf(readConfigFile(home));
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    logger.warn({ event: "routes_reload_failed", error: message }, `config.json was not reloaded; the routes stay as they were: ${message}`);
    return null;
  }
  engine.setRoutes(routes);
  const ids = Object.keys(routes);
  logger.info({ event: "routes_reloaded", routes: ids }, `routes reloaded from config.json: ${ids.length === 0 ? "none" : ids.join(", ")}`);
  return ids;
}

/**
 * Reloads the routes on every SIGHUP until the returned function is called. Installing a SIGHUP
 * listener also stops the signal from ending the process, which is what a daemon wants.
 */
export function reloadRoutesOnHangup(engine: ReloadableRoutes, home: string, logger: RoutesReloadLogger): () => void {
  const onHangup = () => void reloadRoutes(engine, home, logger);
  process.on("SIGHUP", onHangup);
  return () => void process.off("SIGHUP", onHangup);
}
