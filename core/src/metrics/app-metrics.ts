/**
 * The Prometheus metrics of one app (prom-client): a registry of its own, not prom-client's global
 * one, so several apps in one process (the tests) never share or collide. Each concern is its own
 * module; this one assembles them and is what `app.ts` holds.
 */
import { Registry } from "prom-client";
import type { Engine } from "../engine/types.js";
import type { FinishedRequest } from "../http/request-log.js";
import { GenerationMetrics } from "./generation-metrics.js";
import { HttpMetrics } from "./http-metrics.js";
import { registerModelMetrics } from "./model-metrics.js";
import { registerPluginMetrics } from "./plugin-metrics.js";
import { registerSlotMetrics } from "./slot-metrics.js";

/** Options of {@link createAppMetrics}. */
export interface AppMetricsOptions {
  /** Read at each scrape for the slot and queue gauges. */
  engine: Pick<Engine, "slotStatus">;
}

/** One app's metrics: its registry, the request hook, and the end of its subscriptions. */
export interface AppMetrics {
  readonly registry: Registry;
  /** Counts a finished request: pass it to `requestLog`. */
  observeRequest(request: FinishedRequest): void;
  /** Stops counting model and plugin events. */
  dispose(): void;
}

/**
 * Creates the metrics of one app.
 *
 * @example
 * const metrics = createAppMetrics({ engine });
 * app.use(requestLog(logger, metrics.observeRequest));
 * app.use(metricsRouter(metrics.registry).routes());
 */
export function createAppMetrics(options: AppMetricsOptions): AppMetrics {
  const registry = new Registry();
  const http = new HttpMetrics(registry);
  const generation = new GenerationMetrics(registry);
  registerSlotMetrics(registry, options.engine);
  const unsubscribe = [registerModelMetrics(registry), registerPluginMetrics(registry)];
  return {
    registry,
    observeRequest(request) {
      http.observe(request);
      generation.observe(request);
    },
    dispose() {
      for (const stop of unsubscribe.splice(0)) stop();
    },
  };
}
