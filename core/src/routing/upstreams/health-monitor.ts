/**
 * The health check of every upstream: `GET /models` every `healthCheckSeconds`, bounded by a
 * timeout. A failure takes the upstream out of its pools; the next pass brings it back. An
 * upstream without configured `models` serves what that check lists.
 */
import type { Logger } from "../../logger.js";
import type { UpstreamMember } from "./upstream-member.js";

/** Longest wait for one health check's answer, in ms (less when checks come more often). */
export const HEALTH_CHECK_TIMEOUT_MS = 5000;

/** Options of {@link HealthMonitor}. */
export interface HealthMonitorOptions {
  members: readonly UpstreamMember[];
  logger: Logger;
  /** Called after a check changed a member's health or models. */
  onChange(): void;
}

/** Runs the health checks on timers; `start()` runs the first round of them and awaits it. */
export class HealthMonitor {
  private readonly timers: NodeJS.Timeout[] = [];
  private disposed = false;

  constructor(private readonly options: HealthMonitorOptions) {}

  /** Checks every upstream once, then keeps checking each on its own interval. */
  async start(): Promise<void> {
    await Promise.all(this.options.members.map((member) => this.check(member)));
    for (const member of this.options.members) {
      if (this.disposed) return;
      const timer = setInterval(() => void this.check(member), member.config.healthCheckSeconds * 1000);
      timer.unref();
      this.timers.push(timer);
    }
  }

  /** Checks one upstream now; true when it passed. */
  async check(member: UpstreamMember): Promise<boolean> {
    const timeoutMs = Math.min(HEALTH_CHECK_TIMEOUT_MS, member.config.healthCheckSeconds * 1000);
    try {
      const listed = await member.client.models(timeoutMs);
      if (this.disposed) return true;
      const modelsChanged = member.config.models === undefined && listed.map((m) => m.id).join("\n") !== member.models.map((m) => m.id).join("\n");
      if (member.config.models === undefined) member.models = listed;
      this.markHealthy(member, modelsChanged);
      return true;
    } catch (err) {
      if (!this.disposed) this.markUnhealthy(member, (err as Error).message);
      return false;
    }
  }

  /** Takes a member out of its pools at once (a request found it unreachable) until a check passes. */
  markUnhealthy(member: UpstreamMember, error: string): void {
    const was = member.healthy;
    member.healthy = false;
    member.error = error;
    if (was) {
      this.options.logger.warn({ event: "upstream_unhealthy", upstream: member.name, error }, `upstream ${member.name} left its pool: ${error}`);
      this.options.onChange();
    }
  }

  /** Stops the timers. */
  dispose(): void {
    this.disposed = true;
    for (const timer of this.timers.splice(0)) clearInterval(timer);
  }

  private markHealthy(member: UpstreamMember, modelsChanged: boolean): void {
    const was = member.healthy && member.error === undefined;
    member.healthy = true;
    member.error = undefined;
    if (!was) this.options.logger.info({ event: "upstream_healthy", upstream: member.name, models: member.models.length }, `upstream ${member.name} passed its health check`);
    if (!was || modelsChanged) this.options.onChange();
  }
}
