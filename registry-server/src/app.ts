/**
 * `createRegistryApp(options)`: the Koa app, with the middleware order listed once: request
 * logging, error rendering, the registry-wide routes, user routes, the web pages (`/` and
 * `/-/web/`), then package routes (every other path names a package).
 */
import { randomUUID } from "node:crypto";
import Koa, { type Context } from "koa";
import type { Logger } from "pino";
import type { Accounts } from "./accounts.js";
import { RegistryError } from "./errors.js";
import { PACKAGE_CAPS } from "./package-reader.js";
import type { Registry } from "./registry.js";
import { metaRoutes } from "./routes/meta.js";
import { packageRoutes } from "./routes/packages.js";
import { userRoutes } from "./routes/users.js";
import { webRoutes } from "./web/index.js";
import type { Signer } from "./signatures.js";

/** Options of {@link createRegistryApp}. */
export interface RegistryAppOptions {
  registry: Registry;
  accounts: Accounts;
  signer: Signer;
  logger: Logger;
  /** The registry's public origin for tarball URLs, e.g. `https://plugins.example.com`. @default the request's own origin */
  publicUrl?: string;
  /** The largest request body. @default a base64 package of PACKAGE_CAPS.maxTarballBytes plus 1 MiB of metadata */
  bodyLimit?: number;
}

/** The default body limit: the largest package, base64-inflated, with room for its metadata. */
export const DEFAULT_BODY_LIMIT = Math.ceil(PACKAGE_CAPS.maxTarballBytes / 3) * 4 + 1024 * 1024;

/** Builds the registry's Koa app. */
export function createRegistryApp(options: RegistryAppOptions): Koa {
  const { logger } = options;
  const app = new Koa();
  const publicUrl = options.publicUrl?.replace(/\/+$/, "");
  // Koa 3's ctx.origin is the Origin header; the request's own origin is protocol and Host.
  const baseUrl = (ctx: Context) => publicUrl ?? `${ctx.protocol}://${ctx.host}`;

  // One log line per request, with an id the error line shares.
  app.use(async (ctx, next) => {
    const started = performance.now();
    const id = randomUUID();
    ctx.state.requestId = id;
    try {
      await next();
    } finally {
      logger.info({ reqId: id, method: ctx.method, url: ctx.url, status: ctx.status, ms: Math.round(performance.now() - started) }, "request");
    }
  });

  // Every error becomes npm's `{"error": ...}`; 5xx details stay in the log.
  app.use(async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) throw new RegistryError("not_found", "not found");
    } catch (error) {
      const known = error instanceof RegistryError ? error : null;
      const status = known?.status ?? 500;
      if (status >= 500) logger.error({ reqId: ctx.state.requestId, err: error }, "request failed");
      ctx.status = status;
      ctx.body = known?.expose ? { error: known.message, code: known.code } : { error: "internal error", code: "internal_error" };
    }
  });

  const meta = metaRoutes(options.registry, options.signer, baseUrl);
  const users = userRoutes(options.accounts);
  app.use(meta.routes()).use(meta.allowedMethods());
  app.use(users.routes()).use(users.allowedMethods());
  app.use(webRoutes({ registry: options.registry, baseUrl }).routes());
  app.use(packageRoutes({ registry: options.registry, accounts: options.accounts, bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT, baseUrl }));
  return app;
}
