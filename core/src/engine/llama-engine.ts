/**
 * The engine on node-llama-cpp: the one owner of llama.cpp, of every loaded model and of their
 * slots. Models load on first use (once, however many requests ask at the same time) and stay
 * loaded; the models issue adds eviction and keep-alive.
 */
import { getLlama, LlamaLogLevel, type Llama } from "node-llama-cpp";
import type { GpuSetting } from "../config/index.js";
import { ShimmyError } from "../errors.js";
import type { Logger } from "../logger.js";
import type { ModelFile } from "../models/model-file.js";
import { GrammarCache } from "./grammar-cache.js";
import { LoadedModel } from "./loaded-model.js";
import type { ChatRequest, CompletionRequest, Engine, GenerationResult, ModelInfo, SlotStatus } from "./types.js";
import type { EmbeddingRequest, EmbeddingResult } from "./embedding-types.js";

/** Options of {@link LlamaEngine.create}. */
export interface LlamaEngineOptions {
  /** The files to serve, with their headers already read and checked. */
  models: readonly ModelFile[];
  threads: number;
  /** Slots per model. */
  parallel: number;
  /** Tokens per slot; 0 means 4096, or the model's trained context when smaller. */
  contextSize: number;
  /** Requests that may wait for a slot, per model. */
  queueSize: number;
  gpu: GpuSetting;
  logger: Logger;
}

const LLAMA_LOG_LEVELS: Record<LlamaLogLevel, "error" | "warn" | "info" | "debug"> = {
  [LlamaLogLevel.disabled]: "debug",
  [LlamaLogLevel.fatal]: "error",
  [LlamaLogLevel.error]: "error",
  [LlamaLogLevel.warn]: "warn",
  [LlamaLogLevel.info]: "debug",
  [LlamaLogLevel.log]: "debug",
  [LlamaLogLevel.debug]: "debug",
};

interface ModelEntry {
  file: ModelFile;
  info: ModelInfo;
  loading?: Promise<LoadedModel>;
  loaded?: LoadedModel;
}

/** Tokens per slot for a model: the configured size, else 4096 or its trained context when smaller. */
export function resolveContextSize(configured: number, trained: number | null): number {
  if (configured > 0) return configured;
  return trained && trained > 0 ? Math.min(4096, trained) : 4096;
}

/** Serves GGUF models with llama.cpp through node-llama-cpp. */
export class LlamaEngine implements Engine {
  private readonly llama: Llama;
  private readonly options: LlamaEngineOptions;
  private readonly entries = new Map<string, ModelEntry>();
  private readonly grammars: GrammarCache;
  private disposed = false;

  private constructor(llama: Llama, options: LlamaEngineOptions) {
    this.llama = llama;
    this.options = options;
    this.grammars = new GrammarCache(llama);
    for (const file of options.models) {
      const info: ModelInfo = {
        id: file.id,
        path: file.path,
        created: file.modifiedAt,
        sizeBytes: file.sizeBytes,
        architecture: file.architecture,
        trainedContextLength: file.trainedContextLength,
        contextSize: resolveContextSize(options.contextSize, file.trainedContextLength),
        ...(file.invalidReason ? { invalidReason: file.invalidReason } : {}),
      };
      this.entries.set(file.id, { file, info });
    }
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
    });
    options.logger.info({ event: "engine_ready", gpu: llama.gpu || "cpu", threads: options.threads }, "llama.cpp ready");
    return new LlamaEngine(llama, options);
  }

  listModels(): ModelInfo[] {
    return [...this.entries.values()].map((entry) => entry.info);
  }

  chat(request: ChatRequest): Promise<GenerationResult> {
    return this.modelFor(request.model).then((model) => model.chat(request));
  }

  complete(request: CompletionRequest): Promise<GenerationResult> {
    return this.modelFor(request.model).then((model) => model.complete(request));
  }

  embed(request: EmbeddingRequest): Promise<EmbeddingResult> {
    return this.modelFor(request.model).then((model) => model.embed(request));
  }

  slotStatus(): SlotStatus[] {
    return [...this.entries.values()].flatMap((entry) => (entry.loaded ? [entry.loaded.slotStatus] : []));
  }

  /** Loads a model now rather than on its first request. */
  async preload(id: string): Promise<void> {
    await this.modelFor(id);
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    const loads = [...this.entries.values()].map((entry) => entry.loading).filter((p) => p !== undefined);
    await Promise.allSettled(loads.map(async (loading) => (await loading).dispose()));
    await this.llama.dispose();
  }

  private modelFor(id: string): Promise<LoadedModel> {
    const entry = this.entries.get(id);
    if (!entry) {
      const known = [...this.entries.values()].filter((e) => !e.info.invalidReason).map((e) => e.info.id);
      return Promise.reject(
        new ShimmyError(
          "model_not_found",
          `The model "${id}" does not exist. Served models: ${known.length ? known.join(", ") : "none"} (GET /v1/models lists them).`,
          { param: "model" },
        ),
      );
    }
    if (entry.info.invalidReason) {
      return Promise.reject(
        new ShimmyError("model_invalid", `The model "${id}" (${entry.info.path}) was refused: ${entry.info.invalidReason}. Replace the file.`, {
          param: "model",
        }),
      );
    }
    if (this.disposed) return Promise.reject(new ShimmyError("server_overloaded", "The server is shutting down.", { headers: { "Retry-After": "1" } }));
    entry.loading ??= this.load(entry);
    return entry.loading;
  }

  private async load(entry: ModelEntry): Promise<LoadedModel> {
    const { logger } = this.options;
    const started = performance.now();
    logger.info({ event: "model_load", model: entry.info.id, path: entry.info.path }, "loading model");
    let lastReported = 0;
    try {
      const model = await LoadedModel.load(this.llama, {
        id: entry.info.id,
        path: entry.info.path,
        contextSize: entry.info.contextSize,
        parallel: this.options.parallel,
        threads: this.options.threads,
        queueSize: this.options.queueSize,
        onLoadProgress: (progress) => {
          if (progress - lastReported >= 0.25 || progress === 1) {
            lastReported = progress;
            logger.info({ event: "model_load_progress", model: entry.info.id, progress: Math.round(progress * 100) / 100 });
          }
        },
      }, this.grammars);
      logger.info(
        {
          event: "model_loaded", model: entry.info.id, ms: Math.round(performance.now() - started),
          contextSize: model.contextSize, slots: this.options.parallel, chatFormat: model.chatFormat,
        },
        "model loaded",
      );
      entry.loaded = model;
      return model;
    } catch (err) {
      entry.loading = undefined;
      logger.error({ event: "model_load_failed", model: entry.info.id, err }, "model load failed");
      throw new ShimmyError("model_load_failed", `llama.cpp could not load "${entry.info.id}": ${(err as Error).message}`, { cause: err });
    }
  }
}
