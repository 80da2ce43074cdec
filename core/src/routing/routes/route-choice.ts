/**
 * Which candidates serve a routed request, in which order: the router's pick (checked: a
 * candidate, or the router failed), or the first candidate. A router failure (a trap, its
 * deadline, an answer that is no pick of a candidate) never fails the request: the route's first
 * candidate serves and the reason says why.
 */
import type { RouteConfig } from "./route-config.js";
import type { RouterInput } from "./router-input.js";

/** Calls the router `PLUGIN/ROUTER` with the input; resolves to its answer as JSON. */
export type RouterCall = (router: string, input: RouterInput, signal: AbortSignal) => Promise<unknown>;

/** The models to try, in order, and why the first. */
export interface RouteChoice {
  order: string[];
  reason: string;
  /** Set when the router failed: what went wrong, for the log. */
  routerError?: string;
}

/** A router's answer, checked. */
export interface RouterPick {
  model: string;
  fallbacks?: string[];
  reason?: string;
}

/** Thrown by {@link checkRouterAnswer}: the router's answer is not a pick of a candidate. */
export class RouterAnswerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RouterAnswerError";
  }
}

/**
 * Checks a router's answer: `{model, fallbacks?, reason?}`, every model one of `candidates`.
 * @throws RouterAnswerError naming what is wrong.
 */
export function checkRouterAnswer(answer: unknown, candidates: readonly string[]): RouterPick {
  if (typeof answer !== "object" || answer === null || Array.isArray(answer)) throw new RouterAnswerError("the answer is not an object {model, fallbacks?, reason?}");
  const { model, fallbacks, reason } = answer as Record<string, unknown>;
  if (typeof model !== "string") throw new RouterAnswerError("the answer has no `model` string");
  if (!candidates.includes(model)) throw new RouterAnswerError(`"${model}" is not a candidate of the route (${candidates.join(", ")})`);
  if (fallbacks !== undefined && (!Array.isArray(fallbacks) || fallbacks.some((f) => typeof f !== "string" || !candidates.includes(f)))) {
    throw new RouterAnswerError("`fallbacks` must be a list of the route's candidates");
  }
  if (reason !== undefined && typeof reason !== "string") throw new RouterAnswerError("`reason` must be a string");
  return { model, ...(fallbacks === undefined ? {} : { fallbacks: fallbacks as string[] }), ...(reason === undefined ? {} : { reason }) };
}

/** The order of a pick: the model, then its fallbacks when given, else the other candidates in route order. */
export function pickOrder(pick: RouterPick, candidates: readonly string[]): string[] {
  const rest = pick.fallbacks ?? candidates;
  return [...new Set([pick.model, ...rest])];
}

/**
 * Chooses the order for a request. Without a router (or without `call`, no plugins) the candidates
 * serve in route order; with one, its checked pick, or route order when it fails.
 */
export async function chooseModels(route: RouteConfig, input: RouterInput, call: RouterCall | undefined, signal: AbortSignal): Promise<RouteChoice> {
  const candidates = route.models.map((m) => m.model);
  if (route.router === undefined) return { order: candidates, reason: "first candidate (no router)" };
  try {
    if (!call) throw new Error("no plugins are loaded");
    const pick = checkRouterAnswer(await call(route.router, input, signal), candidates);
    return { order: pickOrder(pick, candidates), reason: pick.reason ?? `picked by ${route.router}` };
  } catch (err) {
    // The client leaving is no router failure; the request is ending anyway.
    if (signal.aborted) throw err;
    const message = err instanceof Error ? err.message : String(err);
    return { order: candidates, reason: `router failed, first candidate serves: ${message}`, routerError: message };
  }
}
