/**
 * `GET /health`: answers as soon as the server listens, for scripts and supervisors, with the
 * slots of each loaded model (busy and waiting) so load is visible from outside. `status` is
 * `degraded`, with `reasons`, while any check reports that part of the server cannot serve.
 */
import Router from "@koa/router";
import type { Engine, ModelInfo } from "../engine/types.js";
import type { ShimmyState } from "./request-context.js";

/** What `/health` shows about the plugins under `plugins`: how many run, and which cannot, with why. */
export type PluginHealthProvider = () => { ready: number; failed: { name: string; error: string }[] };

/** Why part of the server cannot serve now, one sentence each; none when it can. */
export type HealthCheck = () => string[];

/**
 * The health route; `pluginHealth` adds a `plugins` field (a plugin that cannot start shows there);
 * `checks` give the reasons for `degraded`; `fields` adds more (the upstream servers' health).
 */
export function healthRouter(engine: Engine, pluginHealth?: PluginHealthProvider, checks: readonly HealthCheck[] = [], fields?: () => Record<string, unknown>): Router<ShimmyState> {
  const router = new Router<ShimmyState>();
  router.get("/health", (ctx) => {
    const models = engine.listModels();
    const crashes = crashesOf(engine, models);
    const reasons = [...checks.flatMap((check) => check()), ...crashes.filter((c) => c.in_a_row >= 3).map((c) => `model ${c.model} crashed ${c.in_a_row} times in a row: refused until loaded with POST /api/models/load`)];
    ctx.body = { status: reasons.length > 0 ? "degraded" : "ok", ...(reasons.length > 0 ? { reasons } : {}), models: models.filter((m) => !m.invalidReason).length, slots: engine.slotStatus(), ...(crashes.length > 0 ? { crashes } : {}), ...(pluginHealth ? { plugins: pluginHealth() } : {}), ...fields?.() };
  });
  return router;
}

/** The models whose runner process crashed (engine/runner/), with the last crash of each. */
function crashesOf(engine: Engine, models: readonly ModelInfo[]): { model: string; at: string; reason: string; in_a_row: number }[] {
  return models.flatMap((info) => {
    const crash = info.invalidReason || info.upstreams ? null : engine.modelState(info.id).lastCrash;
    return crash ? [{ model: info.id, at: new Date(crash.at).toISOString(), reason: crash.reason, in_a_row: crash.inARow }] : [];
  });
}
