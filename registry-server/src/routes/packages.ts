/** Package routes: packuments, tarballs, publish and deprecate (PUT), and the refusal of unpublish. */
import type { Context, Next } from "koa";
import type { Accounts } from "../accounts.js";
import { requireAccount } from "../auth.js";
import { readJsonBody } from "../body.js";
import { RegistryError } from "../errors.js";
import { parsePackagePath } from "../names.js";
import type { Registry } from "../registry.js";

/** Options of {@link packageRoutes}. */
export interface PackageRoutesOptions {
  registry: Registry;
  accounts: Accounts;
  /** The largest request body, in bytes. */
  bodyLimit: number;
  /** The registry's origin for tarball URLs, from the request when unset. */
  baseUrl: (ctx: Context) => string;
}

/** A middleware for every path that names a package (anything not under `/-/`). */
export function packageRoutes(options: PackageRoutesOptions) {
  const { registry, accounts } = options;
  return async (ctx: Context, next: Next): Promise<void> => {
    if (ctx.path.startsWith("/-/") || ctx.path === "/") return next();
    // npm unpublishes through `/-rev/` paths (PUT of a shorter packument, DELETE of a tarball).
    if (ctx.method === "DELETE" || ctx.path.includes("/-rev/")) {
      requireAccount(ctx, accounts);
      throw new RegistryError("unpublish_forbidden", "versions are never removed from this registry; deprecate them instead (npm deprecate)");
    }
    const target = parsePackagePath(ctx.path);
    if (!target) return next();
    if (ctx.method === "GET" || ctx.method === "HEAD") {
      if (target.file === undefined) {
        const doc = registry.packument(target.name, options.baseUrl(ctx));
        if (!doc) throw new RegistryError("not_found", `"${target.name}" is not in this registry`);
        ctx.body = doc;
        return;
      }
      const bytes = await registry.tarball(target.name, target.file);
      if (!bytes) throw new RegistryError("not_found", `${target.name} has no tarball ${target.file}`);
      ctx.type = "application/octet-stream";
      ctx.body = bytes;
      return;
    }
    if (ctx.method === "PUT" && target.file === undefined) {
      const account = requireAccount(ctx, accounts);
      const body = await readJsonBody(ctx, options.bodyLimit);
      const attachments = body._attachments;
      if (typeof attachments === "object" && attachments !== null && Object.keys(attachments).length > 0) {
        const published = await registry.publish(target.name, body, account);
        ctx.status = 201;
        ctx.body = { ok: true, id: target.name, version: published.version, integrity: published.integrity };
      } else {
        await registry.update(target.name, body, account);
        ctx.body = { ok: true, id: target.name };
      }
      return;
    }
    ctx.set("Allow", target.file === undefined ? "GET, HEAD, PUT" : "GET, HEAD");
    ctx.status = 405;
    ctx.body = { error: `${ctx.method} is not allowed here` };
  };
}
