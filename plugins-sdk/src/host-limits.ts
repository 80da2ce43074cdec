/**
 * What the Shimmy host allows one plugin beyond its manifest's `limits`: how many instances run it
 * and how much memory each may hold. The manifest reference states these figures, and the core
 * enforces them (its tests check the host against them), so authors and users read one number.
 */
import type { PluginLimits } from "./manifest.js";

const MiB = 1024 * 1024;

/** The host's fixed figures, per plugin and per instance. */
export const HOST_LIMITS = Object.freeze({
  /** Instances per plugin, each running one call at a time (more calls wait their turn). */
  instancesPerPlugin: 2,
  /** Room for a host answer's JSON envelope, on top of twice `maxResponseBytes` (JSON escaping). */
  answerEnvelopeBytes: 64 * 1024,
  /** Extism vars of one instance, names and values together (Extism's own `max_var_bytes`). */
  varBytes: MiB,
  /** The V8 heap of an instance's worker thread (old plus young generation), in MiB. */
  workerHeapMiB: 64 + 16,
  /** Longest instantiation of an instance (its wasm start function, then `hs_init`), in ms. */
  startTimeoutMs: 5_000,
  /** Calls that may wait for a plugin's busy instances; one more is refused with `plugin_busy`. */
  queuedCallsPerPlugin: 32,
  /** Failed instance starts in a row after which a plugin is marked failed and not started again. */
  startFailuresInARow: 3,
});

/** One instance's memory bound, by part, in bytes. */
export interface InstanceMemory {
  /** The module's linear memory: `memoryMaxPages × 64 KiB` (its declared maximum). */
  wasm: number;
  /** Extism memory blocks live in one call: the wasm memory's size plus one host answer. */
  blocks: number;
  /** Extism vars. */
  vars: number;
  /** The worker's V8 heap. */
  heap: number;
  /** All of the above. */
  total: number;
}

/** The most memory one instance of a plugin with these `limits` can hold. */
export function instanceMemory(limits: Pick<PluginLimits, "memoryMaxPages" | "maxResponseBytes">): InstanceMemory {
  const wasm = limits.memoryMaxPages * 64 * 1024;
  const blocks = wasm + 2 * limits.maxResponseBytes + HOST_LIMITS.answerEnvelopeBytes;
  const vars = HOST_LIMITS.varBytes;
  const heap = HOST_LIMITS.workerHeapMiB * MiB;
  return { wasm, blocks, vars, heap, total: wasm + blocks + vars + heap };
}
