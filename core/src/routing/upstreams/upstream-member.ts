/**
 * One upstream server as the balancer and the health check see it: its client, the models it
 * serves, whether it is healthy and how many requests are in flight to it.
 */
import type { UpstreamConfig } from "../../config/upstreams.js";
import type { UpstreamMemberStatus } from "../../engine/types.js";
import { UpstreamClient, type UpstreamModelEntry } from "./upstream-client.js";

/** One upstream's live state. */
export class UpstreamMember {
  readonly client: UpstreamClient;
  /** Healthy until a check or a request finds it unreachable; the first check runs before serving. */
  healthy = true;
  /** Why it is unhealthy. */
  error: string | undefined;
  /** Requests in flight to it now. */
  outstanding = 0;
  /** The models it serves: the configured ones, else the last discovered ones. */
  models: UpstreamModelEntry[];
  /** When it last got a request, to spread ties evenly. */
  lastPicked = 0;

  constructor(readonly config: UpstreamConfig) {
    this.client = new UpstreamClient(config);
    this.models = (config.models ?? []).map((id) => ({ id }));
  }

  get name(): string {
    return this.config.name;
  }

  /** Whether it can take one more request now. */
  get free(): boolean {
    return this.healthy && this.outstanding < this.config.maxConcurrency;
  }

  /** Its health and load, as `/health` and `/api/models` show them. */
  status(): UpstreamMemberStatus {
    return {
      name: this.name,
      healthy: this.healthy,
      outstanding: this.outstanding,
      maxConcurrency: this.config.maxConcurrency,
      ...(this.error === undefined ? {} : { error: this.error }),
    };
  }
}
