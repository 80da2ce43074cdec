/**
 * Refuses requests whose `Host` is not a loopback name while the server listens on loopback.
 * A DNS-rebinding page resolves its own name to 127.0.0.1, but its requests still carry that
 * name in `Host`, so they never reach a handler.
 */
import type { Middleware } from "koa";
import { ShimmyError } from "../errors.js";
import { LOOPBACK_NAMES, hostnameOf } from "./loopback.js";
import type { ShimmyState } from "./request-context.js";

/** Options of {@link hostCheck}. */
export interface HostCheckOptions {
  /** The address the server listens on; the check applies only to loopback ones. */
  listenHost: string;
  /** Names accepted besides the loopback ones (a reverse proxy's). */
  allowedHosts: readonly string[];
  /** Whether `listenHost` is loopback. */
  loopback: boolean;
}

/** The Host check middleware. */
export function hostCheck(options: HostCheckOptions): Middleware<ShimmyState> {
  const allowed = new Set([...LOOPBACK_NAMES, ...options.allowedHosts.map((h) => hostnameOf(h) ?? h.toLowerCase())]);
  return async (ctx, next) => {
    if (options.loopback) {
      const header = ctx.get("host");
      const name = hostnameOf(header);
      if (name === null || !allowed.has(name)) {
        throw new ShimmyError(
          "forbidden_host",
          `Host "${header}" is not allowed: this server listens on ${options.listenHost} and answers only to localhost, 127.0.0.1 and [::1]. ` +
            "Behind a reverse proxy, start it with --allowed-hosts NAME.",
        );
      }
    }
    await next();
  };
}
