/**
 * What routing decided for one HTTP request, carried to the response without the protocol routes
 * knowing: the {@link routeReports} middleware opens a report per request in an AsyncLocalStorage,
 * the {@link RoutedEngine} writes the decision into it, and the middleware then names the served
 * model in the `x-shimmy-model` header and writes the decision into the request's log line.
 * The stream and body builders read {@link servedModel} so `model` names the model that served.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { Middleware } from "koa";
import type { ShimmyState } from "../../http/request-context.js";
import type { RouteFailureKind } from "./route-config.js";

/** A candidate that was tried and failed before the one that served. */
export interface FallbackTried {
  model: string;
  failure: RouteFailureKind;
  /** The error's code (`model_not_found`, `server_overloaded`, …) or its message. */
  error: string;
}

/** The decision for the request, as its log line reports it. */
export interface RouteDecision {
  /** The route id the client named. */
  route: string;
  /** The model that serves (or the last one tried, when every candidate failed). */
  model: string;
  /** Why that model: the router's reason, `first candidate`, or why the router was overruled. */
  reason: string;
  /** `PLUGIN/ROUTER`, when the route has a router. */
  router?: string;
  /** Candidates that failed before `model`, in order. */
  fallbacks: FallbackTried[];
}

/** One request's report: its decision once made, and the request body routers read features from. */
export interface RouteReport {
  decision?: RouteDecision;
  /** The JSON body, for what the engine's request does not carry (`metadata`, image parts). */
  body?: unknown;
  /** The upstream server the request went to (the last one tried), set by routing/upstreams/. */
  upstream?: string;
}

const reports = new AsyncLocalStorage<RouteReport>();

/** The report of the request this code runs for, if any (none outside HTTP requests: workflows at start, tests). */
export function currentRouteReport(): RouteReport | undefined {
  return reports.getStore();
}

/** The model a route chose for the current request, once chosen; undefined when no route was asked. */
export function servedModel(): string | undefined {
  return reports.getStore()?.decision?.model;
}

/** Runs `work` with `report` as the current one (what the middleware does per request; tests and jobs too). */
export function withRouteReport<T>(report: RouteReport, work: () => T): T {
  return reports.run(report, work);
}

/**
 * Opens a report per request; afterwards, when a route chose a model, sets `x-shimmy-model` and the
 * log line's `route` fields, and its `upstream` when an upstream server served. A plain model id
 * names itself in the header. A streamed answer sends its headers at its first output, after which
 * nothing switches, so the header is set then (`beforeHeaders`) and is final.
 */
export function routeReports(): Middleware<ShimmyState> {
  return async (ctx, next) => {
    const report: RouteReport = { body: ctx.state.body };
    const nameServed = () => {
      const served = report.decision?.model ?? ctx.state.log.model;
      if (served !== undefined && !ctx.headerSent) ctx.set("x-shimmy-model", served);
    };
    (ctx.state.beforeHeaders ??= []).push(nameServed);
    try {
      await withRouteReport(report, next);
      nameServed();
    } finally {
      const { decision } = report;
      if (report.upstream !== undefined) ctx.state.log.upstream = report.upstream;
      if (decision) {
        ctx.state.log.model = decision.model;
        ctx.state.log.route = {
          id: decision.route,
          reason: decision.reason,
          ...(decision.router === undefined ? {} : { router: decision.router }),
          fallbacks: decision.fallbacks.map((f) => `${f.model}: ${f.failure} (${f.error})`),
        };
      }
    }
  };
}
