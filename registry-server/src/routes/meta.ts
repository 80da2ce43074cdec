/** Registry-wide routes: search, signing keys, ping. */
import Router from "@koa/router";
import type { Context } from "koa";
import type { Registry } from "../registry.js";
import type { Signer } from "../signatures.js";

function integer(value: unknown, fallback: number): number {
  const n = Number(typeof value === "string" ? value : NaN);
  return Number.isInteger(n) && n >= 0 ? n : fallback;
}

/** `/-/v1/search`, `/-/npm/v1/keys` and `/-/ping`. */
export function metaRoutes(registry: Registry, signer: Signer, baseUrl: (ctx: Context) => string): Router {
  const router = new Router();
  router.get("/-/v1/search", (ctx) => {
    const text = typeof ctx.query.text === "string" ? ctx.query.text : "";
    ctx.body = registry.search({ text, size: integer(ctx.query.size, 20), from: integer(ctx.query.from, 0) }, baseUrl(ctx));
  });
  router.get("/-/npm/v1/keys", (ctx) => {
    ctx.body = { keys: [signer.publicKey] };
  });
  router.get("/-/ping", (ctx) => {
    ctx.body = {};
  });
  return router;
}
