/**
 * Upstream servers as models: `withUpstreams(local, …)` is the engine the server hands its routes.
 * See docs/guides/scale-out.md.
 */
import type { UpstreamConfig } from "../../config/upstreams.js";
import type { Engine } from "../../engine/types.js";
import type { Logger } from "../../logger.js";
import { CompositeEngine } from "./composite-engine.js";
import { UpstreamEngine } from "./upstream-engine.js";

export { CompositeEngine } from "./composite-engine.js";
export { UpstreamEngine, type UpstreamEngineOptions } from "./upstream-engine.js";

/** Options of {@link withUpstreams}. */
export interface WithUpstreamsOptions {
  upstreams: readonly UpstreamConfig[];
  logger: Logger;
  /** Requests that may wait when every upstream of a model is full. @default 64 */
  queueSize?: number;
}

/**
 * The local engine with the upstreams' models added, once each upstream had its first health check
 * (which discovers the models of those without configured `models`).
 */
export async function withUpstreams(local: Engine, options: WithUpstreamsOptions): Promise<CompositeEngine> {
  const upstreams = new UpstreamEngine(options);
  await upstreams.start();
  return new CompositeEngine(local, upstreams);
}
