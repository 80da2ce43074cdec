/**
 * The events metrics count that happen away from any request: model loads and unloads (the engine's
 * pool) and plugin calls (the plugin host). They are published on Node's `diagnostics_channel`, so
 * the publishers stay one line each and know nothing of Prometheus; every app's metrics subscribe
 * (and unsubscribe on dispose). Publishing with no subscriber costs a property check. The channels
 * are process-wide: several apps in one process (the in-process tests) each see every event.
 */
import diagnostics from "node:diagnostics_channel";
import type { PoolEvent } from "../engine/model-pool.js";

/**
 * A model lifecycle event: the pool's own (load, unload, loading over budget), or a load that failed:
 * `refused` when its probe load crashed or it failed a check (it is never loaded), `failed` when
 * llama.cpp could not load it.
 */
export type ModelEvent = PoolEvent | { type: "load_failed"; id: string; reason: "refused" | "failed" };

/** One finished plugin call, as its audit line reports it. */
export interface PluginCallMessage {
  plugin: string;
  /** `ok`, or the failure's code (`timeout`, `plugin_error`, …). */
  outcome: string;
  ms: number;
}

/** Model loads, unloads and failed loads, from `engine/llama-engine.ts`. Process-wide: a process runs one server. */
export const modelEvents = diagnostics.channel("shimmy:model");

/** Finished plugin calls (every kind), from `plugins/host.ts`. Process-wide: a process runs one server. */
export const pluginCalls = diagnostics.channel("shimmy:plugin-call");

/** Publishes a model event (no-op without subscribers). */
export function publishModelEvent(event: ModelEvent): void {
  if (modelEvents.hasSubscribers) modelEvents.publish(event);
}

/** Publishes a finished plugin call (no-op without subscribers). */
export function publishPluginCall(call: PluginCallMessage): void {
  if (pluginCalls.hasSubscribers) pluginCalls.publish(call);
}
