/** Model loads, unloads (by reason) and failed loads, counted from the engine's model events. */
import { Counter, type Registry } from "prom-client";
import { modelEvents, type ModelEvent } from "./channels.js";

/** Counts model events on `registry` until the returned function unsubscribes. */
export function registerModelMetrics(registry: Registry): () => void {
  const registers = [registry];
  const loads = new Counter({ name: "shimmy_model_loads_total", help: "Models loaded, by model.", labelNames: ["model"], registers });
  const unloads = new Counter({
    name: "shimmy_model_unloads_total",
    help: "Models unloaded, by model and reason (request, expired, evicted, shutdown).",
    labelNames: ["model", "reason"], registers,
  });
  const failures = new Counter({
    name: "shimmy_model_load_failures_total",
    help: "Loads that failed, by model and reason: refused (its probe load crashed or it failed a check; never retried) or failed (llama.cpp could not load it).",
    labelNames: ["model", "reason"], registers,
  });
  const onEvent = (message: unknown) => {
    const event = message as ModelEvent;
    if (event.type === "load") loads.inc({ model: event.id });
    else if (event.type === "unload") unloads.inc({ model: event.id, reason: event.reason });
    else if (event.type === "load_failed") failures.inc({ model: event.id, reason: event.reason });
  };
  modelEvents.subscribe(onEvent);
  return () => void modelEvents.unsubscribe(onEvent);
}
