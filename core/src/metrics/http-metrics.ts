/** Requests by route template, method and status, and their durations, from the one request log. */
import { Counter, Histogram, type Registry } from "prom-client";
import type { FinishedRequest } from "../http/request-log.js";

/** Upper bounds of the request duration buckets, in seconds: from a model list to a long generation. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/** The HTTP request metrics of one app. */
export class HttpMetrics {
  private readonly requests: Counter<"method" | "route" | "status">;
  private readonly duration: Histogram<"method" | "route">;

  constructor(registry: Registry) {
    this.requests = new Counter({
      name: "shimmy_http_requests_total",
      help: "HTTP requests answered, by method, route template (`other` when no route matched) and status (499: the client left first).",
      labelNames: ["method", "route", "status"],
      registers: [registry],
    });
    this.duration = new Histogram({
      name: "shimmy_http_request_duration_seconds",
      help: "Time from a request's arrival to its response's end, by method and route template.",
      labelNames: ["method", "route"],
      buckets: DURATION_BUCKETS,
      registers: [registry],
    });
  }

  /** Counts a finished request. */
  observe(request: FinishedRequest): void {
    const route = request.routeTemplate ?? "other";
    this.requests.inc({ method: request.method, route, status: String(request.status) });
    this.duration.observe({ method: request.method, route }, request.durationMs / 1000);
  }
}
