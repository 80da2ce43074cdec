/**
 * One {@link Engine} over the local engine (this machine's GGUF models) and the upstream servers'
 * models: it lists both and sends each request where its model id lives. A local id wins over an
 * upstream id of the same name. Wrappers (routes) go around it; the protocol routes see one engine.
 */
import type { DiscoveredModel } from "../../models/types.js";
import type {
  ChatRequest, ChatSession, ChatSessionOptions, CompletionRequest, EmbeddingRequest, EmbeddingResult, Engine, GenerationResult, InfillRequest, LoadModelOptions,
  ModelInfo, ModelState, SlotStatus, UpstreamMemberStatus,
} from "../../engine/types.js";
import { ShimmyError } from "../../errors.js";
import type { UpstreamEngine } from "./upstream-engine.js";

/** The local engine and the upstreams as one engine; see the module comment. */
export class CompositeEngine implements Engine {
  constructor(
    private readonly local: Engine,
    private readonly upstreams: UpstreamEngine,
  ) {}

  listModels(): ModelInfo[] {
    const local = this.local.listModels();
    const ids = new Set(local.map((m) => m.id));
    return [...local, ...this.upstreams.listModels().filter((m) => !ids.has(m.id))];
  }

  setModels(models: readonly DiscoveredModel[], aliases?: Readonly<Record<string, string>>): void {
    this.local.setModels(models, aliases);
  }

  modelState(id: string): ModelState {
    return this.isUpstream(id) ? this.upstreams.modelState(id) : this.local.modelState(id);
  }

  /** For an upstream model, a health check of its upstreams now (`shimmy load` of one). */
  loadModel(id: string, options?: LoadModelOptions): Promise<ModelState & { loadMs: number }> {
    if (!this.isUpstream(id)) return this.local.loadModel(id, options);
    return this.upstreams.loadModel(id).then((state) => {
      options?.onProgress?.(1);
      return state;
    });
  }

  /** An upstream's models are its own to unload: false, as for a model that was not loaded. */
  async unloadModel(id: string): Promise<boolean> {
    return this.isUpstream(id) ? false : this.local.unloadModel(id);
  }

  chat(request: ChatRequest): Promise<GenerationResult> {
    return this.isUpstream(request.model) ? this.upstreams.chat(request) : this.local.chat(request);
  }

  chatSession(options: ChatSessionOptions): Promise<ChatSession> {
    return this.isUpstream(options.model) ? this.upstreams.chatSession(options) : this.local.chatSession(options);
  }

  /** The local engine's count; for an upstream model (or a local engine that cannot count) the prompt tokens of a one-token chat. */
  async countChatTokens(request: ChatRequest): Promise<number> {
    if (!this.isUpstream(request.model) && this.local.countChatTokens) return this.local.countChatTokens(request);
    const result = await this.chat({ ...request, sampling: { ...request.sampling, maxTokens: 1 }, onText: undefined, onToolCall: undefined });
    return result.promptTokens;
  }

  complete(request: CompletionRequest): Promise<GenerationResult> {
    return this.isUpstream(request.model) ? this.upstreams.complete(request) : this.local.complete(request);
  }

  /** Fill-in-the-middle is llama.cpp's own `/infill`, not OpenAI's API: local models only. */
  infill(request: InfillRequest): Promise<GenerationResult> {
    if (!this.isUpstream(request.model)) return this.local.infill(request);
    return Promise.reject(new ShimmyError("model_lacks_infill", `The model "${request.model}" is served by an upstream server, and fill-in-the-middle is only served by local models.`, { param: "model" }));
  }

  embed(request: EmbeddingRequest): Promise<EmbeddingResult> {
    return this.isUpstream(request.model) ? this.upstreams.embed(request) : this.local.embed(request);
  }

  /** The local models' slots; the upstreams' load is in {@link upstreamHealth}. */
  slotStatus(): SlotStatus[] {
    return this.local.slotStatus();
  }

  /** Each upstream's health and requests in flight, for `/health`. */
  upstreamHealth(): UpstreamMemberStatus[] {
    return this.upstreams.health();
  }

  /** Why `/health` is `degraded` because of the upstreams: one sentence per failing one. */
  upstreamProblems(): string[] {
    return this.upstreams.unhealthyReasons();
  }

  async dispose(): Promise<void> {
    this.upstreams.dispose();
    await this.local.dispose();
  }

  /** Whether `id` goes upstream: an upstream id that no local model (or alias) answers to. */
  private isUpstream(id: string): boolean {
    return this.upstreams.has(id) && !this.local.listModels().some((m) => m.id === id);
  }
}
