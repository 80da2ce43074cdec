/** `GET /metrics`: the app's registry in Prometheus' text format, behind the API key like every route. */
import Router from "@koa/router";
import type { Registry } from "prom-client";
import type { ShimmyState } from "../http/request-context.js";

/** The `/metrics` route over `registry`. */
export function metricsRouter(registry: Registry): Router<ShimmyState> {
  const router = new Router<ShimmyState>();
  router.get("/metrics", async (ctx) => {
    ctx.type = registry.contentType;
    ctx.body = await registry.metrics();
  });
  return router;
}
