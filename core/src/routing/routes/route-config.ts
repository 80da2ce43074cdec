/**
 * `routes` of `config.json`: model ids that name no model file but a list of candidate models, a
 * router that picks among them and a fallback policy. `"auto"` is a route even when not configured
 * (every served chat model, the first one serving).
 *
 * @example
 * { "routes": { "coder": { "models": [{ "model": "qwen2.5-coder:1.5b", "tags": ["code"] }, "llama3.2:1b"],
 *                          "router": "rules-router/rules", "fallback": { "retry_on": ["load_failed", "queue_full"] } } } }
 */

/** A failure that makes the next candidate serve, when the route's `retry_on` names it. */
export type RouteFailureKind = "load_failed" | "queue_full" | "error";

/** Every kind of failure, in the order the docs list them. */
export const ROUTE_FAILURE_KINDS: readonly RouteFailureKind[] = ["load_failed", "queue_full", "error"];

/** The route clients get as `"model": "auto"` when config.json configures none. */
export const AUTO_ROUTE = "auto";

/** One candidate of a route: a model id and the tags a router may match (`code`, `fast`). */
export interface RouteCandidateConfig {
  model: string;
  tags: readonly string[];
}

/** A route, normalised: candidates as objects, the failures that fall back filled in. */
export interface RouteConfig {
  /** The candidates in order; the first serves when no router picks (or a router fails). */
  models: readonly RouteCandidateConfig[];
  /** `PLUGIN/ROUTER`: the router capability that picks; absent: the first candidate. */
  router?: string;
  /** Failures after which the next candidate serves. @default every kind: load_failed, queue_full, error */
  retryOn: readonly RouteFailureKind[];
}

/** Route id to route. */
export type RoutesConfig = Readonly<Record<string, RouteConfig>>;

/** The JSON Schema of the `routes` key. */
export const routesConfigSchema = {
  description:
    "Routes: model ids that pick a model per request. Route id to {models, router?, fallback?}: `models` lists the candidates (a model id, or {model, tags} with tags a router may match, such as \"code\" or \"fast\"); `router` names a router plugin capability as PLUGIN/ROUTER (without one the first candidate serves); `fallback.retry_on` lists the failures after which the next candidate serves (load_failed, queue_full, error; default all three, none once the first token is out). \"auto\" is a route of every served chat model unless configured here (answered when named, listed in /v1/models only when configured).",
  type: "object",
  propertyNames: { minLength: 1 },
  additionalProperties: {
    type: "object",
    additionalProperties: false,
    required: ["models"],
    properties: {
      models: {
        type: "array",
        minItems: 1,
        items: {
          anyOf: [
            { type: "string", minLength: 1 },
            {
              type: "object",
              additionalProperties: false,
              required: ["model"],
              properties: { model: { type: "string", minLength: 1 }, tags: { type: "array", uniqueItems: true, items: { type: "string", minLength: 1 } } },
            },
          ],
        },
      },
      router: { type: "string", pattern: "^[^/]+(?:/[^/]+)?/[^/]+$", description: "PLUGIN/ROUTER (a scoped plugin is @owner/name/ROUTER)." },
      fallback: {
        type: "object",
        additionalProperties: false,
        properties: { retry_on: { type: "array", uniqueItems: true, items: { enum: [...ROUTE_FAILURE_KINDS] } } },
      },
    },
  },
} as const;

/** A route as config.json writes it (already validated against {@link routesConfigSchema}). */
interface RouteFileEntry {
  models: (string | { model: string; tags?: string[] })[];
  router?: string;
  fallback?: { retry_on?: RouteFailureKind[] };
}

/** `routes` of a validated config file, normalised; none when absent. */
export function routesOf(file: Readonly<Record<string, unknown>>): RoutesConfig {
  const entries = (file.routes ?? {}) as Record<string, RouteFileEntry>;
  return Object.fromEntries(Object.entries(entries).map(([id, entry]) => [id, normaliseRoute(entry)]));
}

/** One route of the file as the engine uses it. */
export function normaliseRoute(entry: RouteFileEntry): RouteConfig {
  return {
    models: entry.models.map((m) => (typeof m === "string" ? { model: m, tags: [] } : { model: m.model, tags: m.tags ?? [] })),
    ...(entry.router === undefined ? {} : { router: entry.router }),
    retryOn: entry.fallback?.retry_on ?? ROUTE_FAILURE_KINDS,
  };
}
