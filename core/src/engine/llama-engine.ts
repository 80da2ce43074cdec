/**
 * The engine on node-llama-cpp: the one owner of llama.cpp. It knows the models discovery found,
 * probe-loads each file once in a child process before trusting it, and hands loading, keep-alive
 * and eviction to the {@link ModelPool}.
 */
import path from "node:path";
import { getLlama, LlamaLogLevel, NoBinaryFoundError, type Llama } from "node-llama-cpp";
import { DEFAULT_CONTEXT_SIZE, type GpuSetting } from "../config/options.js";
import { ShimmyError, retryLater } from "../errors.js";
import type { Logger } from "../logger.js";
import { StartupError } from "../startup-error.js";
import type { DiscoveredModel } from "../models/types.js";
import type { EmbeddingRequest, EmbeddingResult } from "./embedding-types.js";
import { noBinaryMessage } from "./gpu-check.js";
import { GrammarCache } from "./grammar-cache.js";
import type { KeepAlive } from "../config/duration.js";
import { LoadedModel } from "./loaded-model.js";
import { publishModelEvent } from "../metrics/channels.js";
import { ModelPool, type PoolEvent } from "./model-pool.js";
import { ModelProber } from "./probe.js";
import type {
  ChatRequest, ChatSession, ChatSessionOptions, CompletionRequest, Engine, GenerationResult, InfillRequest, LoadModelOptions, ModelInfo, ModelState, SlotStatus,
} from "./types.js";

/** Options of {@link LlamaEngine.create}. */
export interface LlamaEngineOptions {
  /** The models to serve, with their headers already read and checked. */
  models: readonly DiscoveredModel[];
  /** Other names for models: alias → id. */
  aliases?: Readonly<Record<string, string>>;
  threads: number;
  /** Slots per model. */
  parallel: number;
  /** Tokens per slot; 0 means {@link DEFAULT_CONTEXT_SIZE}, or the model's trained context when smaller. */
  contextSize: number;
  /** Requests that may wait for a slot, per model. */
  queueSize: number;
  gpu: GpuSetting;
  /** Most models loaded at once; 0 for no limit. */
  maxLoadedModels: number;
  /** Most bytes of loaded models; 0 for no limit. */
  memoryBudget: number;
  /** Keep-alive of models whose requests name none. */
  keepAlive: KeepAlive;
  /** Where probe verdicts are remembered; null keeps them in memory. */
  probeVerdictsFile: string | null;
  logger: Logger;
}

/**
 * Where llama.cpp's own messages go in our log. Its warnings are about its internals (a tokenizer
 * quirk, an unused tensor), not something the user can act on, so they are debug lines like the rest;
 * its errors stay errors.
 */
const LLAMA_LOG_LEVELS: Record<LlamaLogLevel, "error" | "warn" | "info" | "debug"> = {
  [LlamaLogLevel.disabled]: "debug",
  [LlamaLogLevel.fatal]: "error",
  [LlamaLogLevel.error]: "error",
  [LlamaLogLevel.warn]: "debug",
  [LlamaLogLevel.info]: "debug",
  [LlamaLogLevel.log]: "debug",
  [LlamaLogLevel.debug]: "debug",
};

/** Tokens per slot for a model: the configured size, else {@link DEFAULT_CONTEXT_SIZE} or its trained context when smaller. */
export function resolveContextSize(configured: number, trained: number | null): number {
  if (configured > 0) return configured;
  return trained && trained > 0 ? Math.min(DEFAULT_CONTEXT_SIZE, trained) : DEFAULT_CONTEXT_SIZE;
}

/** Serves GGUF models with llama.cpp through node-llama-cpp. */
export class LlamaEngine implements Engine {
  private readonly llama: Llama;
  private readonly options: LlamaEngineOptions;
  private models = new Map<string, ModelInfo>();
  private aliases: Readonly<Record<string, string>> = {};
  private readonly pool: ModelPool<LoadedModel>;
  private readonly prober: ModelProber;
  private readonly grammars: GrammarCache;
  private disposed = false;

  private constructor(llama: Llama, options: LlamaEngineOptions) {
    this.llama = llama;
    this.options = options;
    this.grammars = new GrammarCache(llama);
    this.prober = new ModelProber(options.probeVerdictsFile, options.gpu);
    this.pool = new ModelPool<LoadedModel>({
      load: (id, onProgress) => this.load(id, onProgress),
      estimateBytes: (id) => this.models.get(id)?.sizeBytes ?? 0,
      maxLoaded: options.maxLoadedModels,
      memoryBudget: options.memoryBudget,
      defaultKeepAlive: options.keepAlive,
      onEvent: (event) => this.logPoolEvent(event),
    });
    this.setModels(options.models, options.aliases);
  }

  /**
   * Starts llama.cpp with the prebuilt binary for this machine; it never builds or downloads.
   * `maxThreads` bounds llama.cpp's own pool, whose default (at least 4) starves a 2-core machine.
   */
  static async create(options: LlamaEngineOptions): Promise<LlamaEngine> {
    const logger = options.logger.child({ component: "llama.cpp" });
    const llama = await getLlama({
      build: "never",
      gpu: options.gpu === "off" ? false : options.gpu,
      maxThreads: options.threads,
      logLevel: LlamaLogLevel.warn,
      logger: (level, message) => {
        const text = message.trim();
        if (text) logger[LLAMA_LOG_LEVELS[level]](text);
      },
    }).catch(async (err: unknown) => {
      // A setting the machine cannot use: one line for the user, not node-llama-cpp's stack.
      if (err instanceof NoBinaryFoundError) throw new StartupError(await noBinaryMessage(options.gpu), { cause: err });
      throw err;
    });
    options.logger.info({ event: "engine_ready", gpu: llama.gpu || "cpu", threads: options.threads }, "llama.cpp ready");
    return new LlamaEngine(llama, options);
  }

  listModels(): ModelInfo[] {
    return [...this.models.values()];
  }

  setModels(models: readonly DiscoveredModel[], aliases: Readonly<Record<string, string>> = this.aliases): void {
    const next = new Map<string, ModelInfo>();
    for (const model of models) {
      next.set(model.id, {
        ...model,
        created: model.modifiedAt,
        contextSize: resolveContextSize(this.options.contextSize, model.trainedContextLength),
      });
    }
    for (const { id } of this.pool.loaded()) {
      const now = next.get(id);
      const before = this.models.get(id);
      // A loaded model whose file is gone or changed no longer matches what is in memory.
      if (!now || now.invalidReason || (before && (now.path !== before.path || now.modifiedAt !== before.modifiedAt))) {
        void this.pool.unload(id, "request").catch(() => undefined);
      }
    }
    this.models = next;
    this.aliases = { ...aliases };
  }

  modelState(id: string): ModelState {
    const { loaded, memoryBytes, expiresAt } = this.pool.status(this.resolve(id).id);
    return { loaded, memoryBytes, expiresAt };
  }

  async loadModel(id: string, options: LoadModelOptions = {}): Promise<ModelState & { loadMs: number }> {
    const info = this.servable(id);
    const started = performance.now();
    await this.pool.load(info.id, options.keepAlive, options.onProgress);
    return { ...this.modelState(info.id), loadMs: Math.round(performance.now() - started) };
  }

  unloadModel(id: string): Promise<boolean> {
    return this.pool.unload(this.resolve(id).id);
  }

  chat(request: ChatRequest): Promise<GenerationResult> {
    return this.withModel(request.model, request.keepAlive, (model) => model.chat(request));
  }

  async chatSession(options: ChatSessionOptions): Promise<ChatSession> {
    // The pool counts the model in use until `release()`, so it is neither evicted nor expired mid-session.
    let endUse!: () => void;
    const ended = new Promise<void>((resolve) => (endUse = resolve));
    const model = await new Promise<LoadedModel>((resolve, reject) => {
      this.withModel(options.model, options.keepAlive, (loaded) => {
        resolve(loaded);
        return ended;
      }).catch(reject);
    });
    const session = model.chatSession(options.signal);
    return {
      chat: (round) => session.chat(round),
      release: () => {
        session.release();
        endUse();
      },
    };
  }

  countChatTokens(request: ChatRequest): Promise<number> {
    return this.withModel(request.model, request.keepAlive, async (model) => model.countChatTokens(request));
  }

  complete(request: CompletionRequest): Promise<GenerationResult> {
    return this.withModel(request.model, request.keepAlive, (model) => model.complete(request));
  }

  infill(request: InfillRequest): Promise<GenerationResult> {
    return this.withModel(request.model, request.keepAlive, (model) => model.infill(request));
  }

  embed(request: EmbeddingRequest): Promise<EmbeddingResult> {
    return this.withModel(request.model, request.keepAlive, (model) => model.embed(request));
  }

  slotStatus(): SlotStatus[] {
    return this.pool.loaded().map(({ model }) => model.slotStatus);
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.pool.dispose();
    await this.llama.dispose();
  }

  private withModel<T>(id: string, keepAlive: KeepAlive | undefined, work: (model: LoadedModel) => Promise<T>): Promise<T> {
    try {
      const info = this.servable(id);
      if (this.disposed) throw retryLater("The server is shutting down.");
      return this.pool.use(info.id, keepAlive, work);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** The model an id or alias names. @throws ShimmyError `model_not_found`. */
  private resolve(id: string): ModelInfo {
    const info = this.models.get(id) ?? this.models.get(this.aliases[id] ?? "");
    if (!info) {
      const known = [...this.models.values()].filter((m) => !m.invalidReason).map((m) => m.id);
      throw new ShimmyError(
        "model_not_found",
        `The model "${id}" does not exist. Served models: ${known.length ? known.join(", ") : "none"} (GET /v1/models lists them).`,
        { param: "model" },
      );
    }
    return info;
  }

  /** The model, when it may be loaded. @throws ShimmyError `model_not_found` or `model_invalid`. */
  private servable(id: string): ModelInfo {
    const info = this.resolve(id);
    if (info.invalidReason) {
      throw new ShimmyError("model_invalid", `The model "${info.id}" (${info.path}) was refused: ${info.invalidReason}. Replace the file.`, {
        param: "model",
      });
    }
    return info;
  }

  private async load(id: string, onProgress: (progress: number) => void): Promise<LoadedModel> {
    const info = this.servable(id);
    const { logger } = this.options;
    logger.info({ event: "model_load", model: id, path: info.path }, "loading model");
    const verdict = await this.prober.verdict(info.path);
    if (!verdict.ok) {
      // Remembered by the prober; listed as invalid from now on, and never loaded here.
      this.models.set(id, { ...info, invalidReason: verdict.reason });
      logger.error({ event: "model_refused", model: id, path: info.path, reason: verdict.reason }, `refusing ${path.basename(info.path)}`);
      publishModelEvent({ type: "load_failed", id, reason: "refused" });
      throw new ShimmyError("model_invalid", `The model "${id}" (${info.path}) was refused: ${verdict.reason}. Replace the file.`, { param: "model" });
    }
    let lastReported = 0;
    try {
      return await LoadedModel.load(
        this.llama,
        {
          id,
          path: info.path,
          contextSize: info.contextSize,
          parallel: this.options.parallel,
          threads: this.options.threads,
          queueSize: this.options.queueSize,
          onLoadProgress: (progress) => {
            onProgress(progress);
            if (progress - lastReported >= 0.25 || progress === 1) {
              lastReported = progress;
              logger.info({ event: "model_load_progress", model: id, percent: Math.round(progress * 100) });
            }
          },
        },
        this.grammars,
      );
    } catch (err) {
      logger.error({ event: "model_load_failed", model: id, err }, "model load failed");
      publishModelEvent({ type: "load_failed", id, reason: "failed" });
      throw new ShimmyError("model_load_failed", `llama.cpp could not load "${id}": ${(err as Error).message}`, { cause: err });
    }
  }

  private logPoolEvent(event: PoolEvent): void {
    publishModelEvent(event);
    const { logger } = this.options;
    if (event.type === "load") logger.info({ event: "model_loaded", model: event.id, ms: event.ms, memoryBytes: event.memoryBytes }, "model loaded");
    else if (event.type === "unload") logger.info({ event: "model_unloaded", model: event.id, reason: event.reason }, "model unloaded");
    else logger.warn({ event: "over_budget", model: event.id, loaded: event.loaded, memoryBytes: event.memoryBytes }, "every loaded model is busy: loading over the limits");
  }
}
