/**
 * `RoutedEngine`: the outermost {@link Engine}, which serves route ids (config.json's `routes`, and
 * `"auto"`) as models. A request for a route asks its router which candidate serves (or takes the
 * first), then calls the inner engine with that model id, falling back along the candidates when a
 * model fails before its first output; every other id goes to the inner engine untouched. The
 * decision is written into the request's {@link RouteReport}, which names the served model in the
 * answer and the log line.
 */
import type {
  ChatRequest, ChatSession, ChatSessionOptions, CompletionRequest, EmbeddingRequest, EmbeddingResult, Engine, GenerationResult, InfillRequest,
  LoadModelOptions, ModelInfo, ModelState, SlotStatus,
} from "../../engine/types.js";
import type { DiscoveredModel } from "../../models/types.js";
import { runWithFallback } from "./fallback.js";
import { AUTO_ROUTE, ROUTE_FAILURE_KINDS, type RouteConfig, type RoutesConfig } from "./route-config.js";
import { chooseModels, type RouterCall } from "./route-choice.js";
import { currentRouteReport, type FallbackTried } from "./route-report.js";
import { candidateTraits, requestFeatures, type RoutedRequest } from "./router-input.js";

/** What `/v1/models` names as the owner of a route. */
export const ROUTE_OWNER = "shimmy-route";

/** The log methods the routed engine uses (a pino logger fits). */
export interface RoutedEngineLogger {
  warn(obj: object, msg?: string): void;
}

/** Options of {@link RoutedEngine}. */
export interface RoutedEngineOptions {
  /** The engine that serves the models (local, or local and upstream). */
  inner: Engine;
  /** config.json's `routes`. @default none: only `"auto"` */
  routes?: RoutesConfig;
  /** Calls a router plugin capability; routes with a router serve their first candidate without it. */
  callRouter?: RouterCall;
  logger: RoutedEngineLogger;
}

/** Serves route ids on top of an inner engine. */
export class RoutedEngine implements Engine {
  private readonly inner: Engine;
  /** Replaced whole by {@link setRoutes}; a request reads it once, when it is routed. */
  private routes: RoutesConfig;
  private readonly callRouter: RouterCall | undefined;
  private readonly logger: RoutedEngineLogger;
  /** Counts on a route's first candidate; present only when the inner engine counts. */
  readonly countChatTokens?: (request: ChatRequest) => Promise<number>;

  constructor(options: RoutedEngineOptions) {
    this.inner = options.inner;
    this.routes = options.routes ?? {};
    this.callRouter = options.callRouter;
    this.logger = options.logger;
    const count = this.inner.countChatTokens?.bind(this.inner);
    if (count) this.countChatTokens = (request) => count({ ...request, model: this.route(request.model)?.models[0]?.model ?? request.model });
  }

  /** Serves `routes` from now on (config.json reloaded); requests already routed keep their choice. */
  setRoutes(routes: RoutesConfig): void {
    this.routes = routes;
  }

  /** The route `id` names, or undefined when it names none (it is then a model id for the inner engine). */
  route(id: string): RouteConfig | undefined {
    const configured = this.routes[id];
    if (configured) return configured;
    if (id !== AUTO_ROUTE) return undefined;
    // Unconfigured, "auto" is every served chat model, in the order the engine lists them.
    const chat = this.inner.listModels().filter((m) => !m.invalidReason && !this.routes[m.id] && m.capabilities.includes("chat"));
    if (chat.length === 0 || chat.some((m) => m.id === AUTO_ROUTE)) return undefined;
    return { models: chat.map((m) => ({ model: m.id, tags: [] })), retryOn: ROUTE_FAILURE_KINDS };
  }

  /**
   * The inner engine's models, then one entry per configured route (owned by {@link ROUTE_OWNER}).
   * An unconfigured `auto` answers when named but is not listed: model pickers and `/api/models`
   * show the models there are, and `routes.auto` in config.json lists it.
   */
  listModels(): ModelInfo[] {
    const models = this.inner.listModels();
    const byId = new Map(models.map((m) => [m.id, m]));
    const routes = Object.keys(this.routes).flatMap((id) => {
      const route = this.route(id);
      return route ? [routeInfo(id, route, byId)] : [];
    });
    const routeIds = new Set(routes.map((r) => r.id));
    // A route shadows a model of the same id.
    return [...models.filter((m) => !routeIds.has(m.id)), ...routes];
  }

  setModels(models: readonly DiscoveredModel[], aliases?: Readonly<Record<string, string>>): void {
    this.inner.setModels(models, aliases);
  }

  /** A route's state is its first served candidate's (unloaded when none is served). */
  modelState(id: string): ModelState {
    const route = this.route(id);
    if (!route) return this.inner.modelState(id);
    const first = this.firstServed(route);
    return first === undefined ? { loaded: false, memoryBytes: null, expiresAt: null } : this.inner.modelState(first);
  }

  /** Loading a route loads its first served candidate. */
  loadModel(id: string, options?: LoadModelOptions): Promise<ModelState & { loadMs: number }> {
    const route = this.route(id);
    return this.inner.loadModel(route ? (this.firstServed(route) ?? route.models[0]!.model) : id, options);
  }

  /** A route holds nothing to unload: false. */
  unloadModel(id: string): Promise<boolean> {
    return this.route(id) ? Promise.resolve(false) : this.inner.unloadModel(id);
  }

  chat(request: ChatRequest): Promise<GenerationResult> {
    const route = this.route(request.model);
    if (!route) return this.inner.chat(request);
    return this.serve(request.model, route, { kind: "chat", request }, request.signal, async (model, started) => {
      const result = await this.inner.chat({ ...request, model, onText: firstCall(request.onText, started), onToolCall: firstCall(request.onToolCall, started) });
      return { ...result, model };
    });
  }

  complete(request: CompletionRequest): Promise<GenerationResult> {
    const route = this.route(request.model);
    if (!route) return this.inner.complete(request);
    return this.serve(request.model, route, { kind: "completion", request }, request.signal, async (model, started) => {
      const result = await this.inner.complete({ ...request, model, onText: firstCall(request.onText, started) });
      return { ...result, model };
    });
  }

  infill(request: InfillRequest): Promise<GenerationResult> {
    const route = this.route(request.model);
    if (!route) return this.inner.infill(request);
    const prompt = `${request.prefix}${request.prompt ?? ""}${request.suffix}`;
    return this.serve(request.model, route, { kind: "completion", request: { ...request, prompt } }, request.signal, async (model, started) => {
      const result = await this.inner.infill({ ...request, model, onText: firstCall(request.onText, started) });
      return { ...result, model };
    });
  }

  embed(request: EmbeddingRequest): Promise<EmbeddingResult> {
    const route = this.route(request.model);
    if (!route) return this.inner.embed(request);
    return this.serve(request.model, route, { kind: "embedding", request }, request.signal, (model) => this.inner.embed({ ...request, model }));
  }

  /** A session on a route keeps the model it opened on for every round; opening falls back like a request. */
  async chatSession(options: ChatSessionOptions): Promise<ChatSession> {
    const route = this.route(options.model);
    if (!route) return this.inner.chatSession(options);
    const request: ChatRequest = { model: options.model, turns: [], sampling: { stop: [] }, signal: options.signal };
    return this.serve(options.model, route, { kind: "chat", request }, options.signal, (model) => this.inner.chatSession({ ...options, model }));
  }

  slotStatus(): SlotStatus[] {
    return this.inner.slotStatus();
  }

  dispose(): Promise<void> {
    return this.inner.dispose();
  }

  /** Chooses the candidates' order and runs `attempt` along it, reporting the decision. */
  private async serve<T>(id: string, route: RouteConfig, routed: RoutedRequest, signal: AbortSignal, attempt: (model: string, started: () => void) => Promise<T>): Promise<T> {
    const report = currentRouteReport();
    const models = new Map(this.inner.listModels().map((m) => [m.id, m]));
    const input = {
      route: id,
      request: requestFeatures(routed, report?.body),
      candidates: candidateTraits(route.models, models, (model) => this.stateOf(model)),
    };
    const choice = await chooseModels(route, input, this.callRouter, signal);
    if (choice.routerError !== undefined) {
      this.logger.warn({ event: "router_failed", route: id, router: route.router, error: choice.routerError }, `router ${route.router} failed; ${route.models[0]!.model} serves`);
    }
    const decide = (model: string, tried: readonly FallbackTried[]) => {
      if (!report) return;
      report.decision = { route: id, model, reason: choice.reason, ...(route.router === undefined ? {} : { router: route.router }), fallbacks: [...tried] };
    };
    return runWithFallback({ order: choice.order, retryOn: route.retryOn, signal, attempt, onAttempt: decide });
  }

  /** The first candidate the inner engine serves (known and not refused). */
  private firstServed(route: RouteConfig): string | undefined {
    const served = new Set(this.inner.listModels().filter((m) => !m.invalidReason).map((m) => m.id));
    return route.models.find((c) => served.has(c.model))?.model;
  }

  private stateOf(model: string): ModelState | undefined {
    try {
      return this.inner.modelState(model);
    } catch {
      return undefined;
    }
  }
}

/** `callback` that also calls `started` (first output) before passing each value on. */
function firstCall<A>(callback: ((value: A) => void) | undefined, started: () => void): (value: A) => void {
  return (value) => {
    started();
    callback?.(value);
  };
}

/** A route as a model entry: what its candidates can do, owned by {@link ROUTE_OWNER}. */
function routeInfo(id: string, route: RouteConfig, models: ReadonlyMap<string, ModelInfo>): ModelInfo {
  const candidates = route.models.flatMap((c) => {
    const info = models.get(c.model);
    return info && !info.invalidReason ? [info] : [];
  });
  const first = candidates[0];
  return {
    id,
    path: `route:${id}`,
    source: "route",
    sizeBytes: 0,
    modifiedAt: Math.max(0, ...candidates.map((c) => c.modifiedAt)),
    created: Math.max(0, ...candidates.map((c) => c.created)),
    architecture: null,
    parameterCount: null,
    quantization: null,
    trainedContextLength: first?.trainedContextLength ?? null,
    contextSize: first?.contextSize ?? 0,
    hasChatTemplate: candidates.some((c) => c.hasChatTemplate),
    capabilities: [...new Set(candidates.flatMap((c) => c.capabilities))],
    ownedBy: ROUTE_OWNER,
  };
}
