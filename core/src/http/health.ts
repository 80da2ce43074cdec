/**
 * `GET /health`: answers as soon as the server listens, for scripts and supervisors, with the
 * slots of each loaded model (busy and waiting) so load is visible from outside.
 */
import Router from "@koa/router";
import type { Engine } from "../engine/types.js";
import type { ShimmyState } from "./request-context.js";

/** The health route. */
export function healthRouter(engine: Engine): Router<ShimmyState> {
  const router = new Router<ShimmyState>();
  router.get("/health", (ctx) => {
    const models = engine.listModels();
    ctx.body = { status: "ok", models: models.filter((m) => !m.invalidReason).length, slots: engine.slotStatus() };
  });
  return router;
}
