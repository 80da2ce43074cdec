/** Plugin calls (tools, workflow steps, embedders, routers) by plugin and outcome, with their latency. */
import { Histogram, type Registry } from "prom-client";
import { pluginCalls, type PluginCallMessage } from "./channels.js";

/** Plugin call latency buckets, in seconds: a pure function to a slow web request. */
const CALL_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * Counts plugin calls on `registry` until the returned function unsubscribes. The histogram's
 * `_count` is the number of calls, so no separate counter is kept.
 */
export function registerPluginMetrics(registry: Registry): () => void {
  const calls = new Histogram({
    name: "shimmy_plugin_call_duration_seconds",
    help: "Plugin calls (tools, steps, embedders, routers) and their duration, queue wait included, by plugin and outcome (ok, or the failure's code).",
    labelNames: ["plugin", "outcome"],
    buckets: CALL_BUCKETS,
    registers: [registry],
  });
  const onCall = (message: unknown) => {
    const call = message as PluginCallMessage;
    calls.observe({ plugin: call.plugin, outcome: call.outcome }, call.ms / 1000);
  };
  pluginCalls.subscribe(onCall);
  return () => void pluginCalls.unsubscribe(onCall);
}
