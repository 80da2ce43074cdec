/**
 * Serves the models of upstream servers: `UPSTREAM/MODEL` (that upstream) and `POOL/MODEL` (any
 * member of the pool that serves MODEL), by calling their OpenAI-compatible API. Chat and
 * completions are always streamed from the upstream, so tokens and tool-call pieces reach the
 * engine's callbacks as they arrive; the route in front decides whether its own client streams.
 * A request that cannot reach its upstream (or gets a 502/503/504) before any answer tries the
 * pool's other members; an unreachable upstream leaves its pools until its health check passes.
 */
import type { UpstreamConfig } from "../../config/upstreams.js";
import { ShimmyError } from "../../errors.js";
import type { Logger } from "../../logger.js";
import {
  GenerationAborted, type ChatRequest, type ChatRoundResult, type ChatSession, type ChatSessionOptions, type CompletionRequest, type EmbeddingRequest,
  type EmbeddingResult, type GenerationResult, type ModelInfo, type ModelState, type UpstreamMemberStatus,
} from "../../engine/types.js";
import type { ModelCapability } from "../../models/types.js";
import { currentRouteReport } from "../routes/route-report.js";
import { HealthMonitor } from "./health-monitor.js";
import { sseEvents } from "./sse-events.js";
import { StreamAssembler } from "./stream-assembler.js";
import { toUpstreamChatBody, toUpstreamCompletionBody, toUpstreamEmbeddingBody, type MaxTokensField } from "./translate-request.js";
import { UpstreamBalancer } from "./upstream-balancer.js";
import { UpstreamFailure, describeCause, fromStreamError } from "./upstream-errors.js";
import { UpstreamMember } from "./upstream-member.js";

/** Options of {@link UpstreamEngine}. */
export interface UpstreamEngineOptions {
  upstreams: readonly UpstreamConfig[];
  logger: Logger;
  /** Requests that may wait when every upstream of a model is at its `maxConcurrency`. @default 64 */
  queueSize?: number;
}

/** What one served id resolves to: who may serve it, under which of their model ids. */
interface UpstreamRoute {
  /** The upstream or pool name: `owned_by` in /v1/models. */
  owner: string;
  /** The model id on the upstreams. */
  model: string;
  /** What the model can do, when every member serving it said (another Shimmy does). */
  capabilities?: ModelCapability[];
  members: UpstreamMember[];
  created: number;
}

/** The upstreams' models, served by proxy; see the module comment. */
export class UpstreamEngine {
  private readonly members: UpstreamMember[];
  private readonly balancer: UpstreamBalancer;
  private readonly monitor: HealthMonitor;
  private routes = new Map<string, UpstreamRoute>();
  private readonly startedAt = Math.floor(Date.now() / 1000);

  constructor(options: UpstreamEngineOptions) {
    this.members = options.upstreams.map((config) => new UpstreamMember(config));
    this.balancer = new UpstreamBalancer({ ...(options.queueSize === undefined ? {} : { queueSize: options.queueSize }) });
    this.monitor = new HealthMonitor({
      members: this.members,
      logger: options.logger,
      onChange: () => {
        this.rebuild();
        this.balancer.pump();
      },
    });
    this.rebuild();
  }

  /** Runs the first health check of every upstream (discovering their models), then keeps checking. */
  start(): Promise<void> {
    return this.monitor.start();
  }

  /** Whether `id` is an upstream model id. */
  has(id: string): boolean {
    return this.routes.has(id);
  }

  /** Every upstream model id, as the engine lists models. */
  listModels(): ModelInfo[] {
    return [...this.routes].map(([id, route]) => ({
      id,
      path: route.members.map((m) => m.config.baseURL).join(" "),
      source: "upstream",
      sizeBytes: 0,
      modifiedAt: route.created,
      architecture: null,
      parameterCount: null,
      quantization: null,
      trainedContextLength: null,
      hasChatTemplate: true,
      capabilities: capabilitiesOf(route),
      created: route.created,
      contextSize: 0,
      ownedBy: route.owner,
      upstreams: route.members.map((m) => m.status()),
    }));
  }

  /** Each upstream's health and load, for `/health`. */
  health(): UpstreamMemberStatus[] {
    return this.members.map((m) => m.status());
  }

  /** One sentence per upstream failing its health check, for `/health`'s `degraded`. */
  unhealthyReasons(): string[] {
    return this.members.filter((m) => !m.healthy).map((m) => `upstream ${m.name} fails its health check: ${m.error ?? "unreachable"}`);
  }

  /** "Loaded" when some upstream serving it is healthy; nothing of the upstream's memory is known here. */
  modelState(id: string): ModelState {
    return { loaded: this.route(id).members.some((m) => m.healthy), memoryBytes: null, expiresAt: null };
  }

  /**
   * What loading an upstream model means: a health check of its upstreams, now.
   * @throws ShimmyError `upstream_unavailable` when none passes.
   */
  async loadModel(id: string): Promise<ModelState & { loadMs: number }> {
    const started = performance.now();
    const route = this.route(id);
    const passed = await Promise.all(route.members.map((m) => this.monitor.check(m)));
    if (!passed.some(Boolean)) {
      throw new ShimmyError("upstream_unavailable", `No upstream of "${id}" passes its health check: ${route.members.map((m) => `${m.name} (${m.error ?? "unreachable"})`).join(", ")}.`);
    }
    return { ...this.modelState(id), loadMs: Math.round(performance.now() - started) };
  }

  /** Runs a chat generation on the least busy healthy upstream. */
  async chat(request: ChatRequest): Promise<GenerationResult> {
    return (await this.chatOn(request)).result;
  }

  /**
   * A session whose rounds go to the upstream of its first round while it is free (its prompt cache
   * is warm there), else to the least busy one. The upstream's `cached_tokens`, when it reports
   * them, are the reused prompt tokens.
   */
  async chatSession(options: ChatSessionOptions): Promise<ChatSession> {
    this.route(options.model);
    let prefer: string | undefined;
    let released = false;
    return {
      chat: async (round): Promise<ChatRoundResult> => {
        if (released) throw new Error("chat session already released");
        const { result, member } = await this.chatOn({ ...round, model: options.model, signal: options.signal }, prefer);
        prefer = member;
        const reused = Math.min(result.promptTokensReused ?? 0, result.promptTokens);
        return { ...result, promptTokensEvaluated: result.promptTokens - reused, promptTokensReused: reused };
      },
      release: () => {
        released = true;
      },
    };
  }

  /** Runs a raw completion upstream (`POST /completions`). */
  complete(request: CompletionRequest): Promise<GenerationResult> {
    const route = this.route(request.model);
    return this.serve(request.model, route, request.signal, undefined, async (member) => {
      const response = await member.client.post("/completions", toUpstreamCompletionBody(request, route.model), request.signal);
      return this.readStream(member, response, request.signal, new StreamAssembler(request));
    }).then(({ value }) => value);
  }

  /** Embeds upstream (`POST /embeddings`). */
  async embed(request: EmbeddingRequest): Promise<EmbeddingResult> {
    const route = this.route(request.model);
    const { value } = await this.serve(request.model, route, request.signal, undefined, async (member) => {
      const response = await member.client.post("/embeddings", toUpstreamEmbeddingBody(request, route.model), request.signal);
      const body = (await response.json().catch((err: unknown) => {
        throw request.signal.aborted ? request.signal.reason : new UpstreamFailure("upstream_unavailable", `The upstream "${member.name}" cut its embeddings answer: ${describeCause(err)}.`, false, false);
      })) as { data?: { index?: number; embedding?: number[] }[]; usage?: { prompt_tokens?: number } };
      const data = [...(body.data ?? [])].sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
      if (data.length !== request.inputs.length || data.some((d) => !Array.isArray(d.embedding))) {
        throw new UpstreamFailure("upstream_unavailable", `The upstream "${member.name}" answered ${data.length} embeddings for ${request.inputs.length} inputs.`, false, false);
      }
      const vectors = data.map((d) => Float32Array.from(d.embedding!));
      return { vectors, promptTokens: body.usage?.prompt_tokens ?? 0, dimensions: vectors[0]?.length ?? 0 };
    });
    return value;
  }

  /** Stops the health checks and fails the requests waiting for an upstream. */
  dispose(): void {
    this.monitor.dispose();
    this.balancer.close(new ShimmyError("upstream_unavailable", "The server is shutting down."));
  }

  private async chatOn(request: ChatRequest, prefer?: string): Promise<{ result: GenerationResult; member: string }> {
    const route = this.route(request.model);
    const { value, member } = await this.serve(request.model, route, request.signal, prefer, async (member) => {
      const response = await member.client.post("/chat/completions", toUpstreamChatBody(request, route.model, maxTokensField()), request.signal);
      return this.readStream(member, response, request.signal, new StreamAssembler(request));
    });
    return { result: value, member };
  }

  /**
   * Runs `attempt` on the least busy healthy member; when it fails before any answer in a way
   * another member may not (unreachable, 502/503/504), tries the next one.
   */
  private async serve<T>(id: string, route: UpstreamRoute, signal: AbortSignal, prefer: string | undefined, attempt: (member: UpstreamMember) => Promise<T>): Promise<{ value: T; member: string }> {
    const tried = new Set<string>();
    for (;;) {
      const lease = await this.balancer.acquire(route.members, signal, { model: id, exclude: tried, ...(prefer === undefined ? {} : { prefer }) });
      // The request's log line names the member (of a pool) that served, or the last one tried.
      const report = currentRouteReport();
      if (report) report.upstream = lease.member.name;
      try {
        return { value: await attempt(lease.member), member: lease.member.name };
      } catch (err) {
        if (!(err instanceof UpstreamFailure) || !err.retriable) throw err;
        if (err.unreachable) this.monitor.markUnhealthy(lease.member, err.message);
        tried.add(lease.member.name);
        if (!route.members.some((m) => m.healthy && !tried.has(m.name))) throw err;
      } finally {
        lease.release();
      }
    }
  }

  /** Feeds a streamed answer to the assembler (and so to the request's callbacks) until its end. */
  private async readStream(member: UpstreamMember, response: Response, signal: AbortSignal, assembler: StreamAssembler): Promise<GenerationResult> {
    try {
      for await (const event of sseEvents(response.body ?? emptyBody())) {
        const error = assembler.accept(event as Parameters<StreamAssembler["accept"]>[0]);
        if (error !== undefined) throw fromStreamError(member.name, error);
      }
    } catch (err) {
      if (signal.aborted) throw new GenerationAborted(assembler.promptTokens, assembler.completionTokens);
      if (err instanceof ShimmyError) throw err;
      throw new UpstreamFailure("upstream_unavailable", `The upstream "${member.name}" cut its answer: ${describeCause(err)}.`, false, false, { cause: err });
    }
    if (signal.aborted) throw new GenerationAborted(assembler.promptTokens, assembler.completionTokens);
    return assembler.result();
  }

  private route(id: string): UpstreamRoute {
    const route = this.routes.get(id);
    if (!route) throw new ShimmyError("model_not_found", `The model "${id}" does not exist (GET /v1/models lists them).`, { param: "model" });
    return route;
  }

  /** The served ids from every member's models: `UPSTREAM/MODEL`, and `POOL/MODEL` for pool members. */
  private rebuild(): void {
    const routes = new Map<string, UpstreamRoute>();
    const add = (owner: string, member: UpstreamMember, model: string, created: number | undefined) => {
      const id = `${owner}/${model}`;
      const route = routes.get(id) ?? { owner, model, members: [], created: created ?? this.startedAt };
      const known = member.models.find((m) => m.id === model)?.capabilities;
      // Known only while every member says: a pool member that does not may serve anything.
      route.capabilities = route.members.length === 0 ? known : route.capabilities && known && route.capabilities.filter((c) => known.includes(c));
      route.members.push(member);
      routes.set(id, route);
    };
    for (const member of this.members) {
      for (const model of member.models) {
        add(member.name, member, model.id, model.created);
        if (member.config.pool) add(member.config.pool, member, model.id, model.created);
      }
    }
    this.routes = routes;
  }
}

/**
 * What an upstream model can do: what its upstreams said (another Shimmy's `/api/models`), else
 * everything, for OpenAI's `/models` does not say and the upstream refuses what its model cannot.
 */
function capabilitiesOf(route: UpstreamRoute): ModelCapability[] {
  return route.capabilities ?? ["chat", "completion", "embedding"];
}

async function* emptyBody(): AsyncGenerator<Uint8Array> {}

/** `max_completion_tokens` when the client's chat request named its cap so, else `max_tokens`. */
function maxTokensField(): MaxTokensField {
  const body = currentRouteReport()?.body;
  const sent = typeof body === "object" && body !== null && typeof (body as { max_completion_tokens?: unknown }).max_completion_tokens === "number";
  return sent ? "max_completion_tokens" : "max_tokens";
}
