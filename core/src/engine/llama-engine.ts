/**
 * The engine on node-llama-cpp: the one owner of llama.cpp. It knows the models discovery found,
 * runs each loaded model in its own runner process (runner/), whose first load of a file is its
 * probe, and hands loading, keep-alive and eviction to the {@link ModelPool}. A runner that dies
 * fails its own requests only; the next request starts a fresh one.
 */
import path from "node:path";
import { DEFAULT_CONTEXT_SIZE, type GpuSetting } from "../config/options.js";
import { ShimmyError, retryLater } from "../errors.js";
import type { Logger } from "../logger.js";
import { StartupError } from "../startup-error.js";
import type { DiscoveredModel } from "../models/types.js";
import type { EmbeddingRequest, EmbeddingResult } from "./embedding-types.js";
import { noBinaryMessage } from "./gpu-check.js";
import type { KeepAlive } from "../config/duration.js";
import { publishModelEvent } from "../metrics/channels.js";
import { ModelPool, type PoolEvent } from "./model-pool.js";
import { ModelProber, type ProbeVerdict } from "./probe.js";
import { llamaBinaryCheck } from "./runner/binary-probe.js";
import { describeExit, RunnerLoadError, RunnerModel, type RunnerExit } from "./runner/runner-model.js";
import type {
  ChatRequest, ChatSession, ChatSessionOptions, CompletionRequest, Engine, GenerationResult, InfillRequest, LoadModelOptions, ModelCrash, ModelInfo, ModelState, SlotStatus,
} from "./types.js";

/** Crashes in a row (no successful request between) after which a model is refused until loaded explicitly. */
export const CRASHES_BEFORE_FAILED = 3;

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

/** Tokens per slot for a model: the configured size, else {@link DEFAULT_CONTEXT_SIZE} or its trained context when smaller. */
export function resolveContextSize(configured: number, trained: number | null): number {
  if (configured > 0) return configured;
  return trained && trained > 0 ? Math.min(DEFAULT_CONTEXT_SIZE, trained) : DEFAULT_CONTEXT_SIZE;
}

/** Serves GGUF models with llama.cpp through node-llama-cpp. */
export class LlamaEngine implements Engine {
  private readonly options: LlamaEngineOptions;
  private models = new Map<string, ModelInfo>();
  private aliases: Readonly<Record<string, string>> = {};
  private readonly pool: ModelPool<RunnerModel>;
  private readonly prober: ModelProber;
  /** Each model's last runner crash, by id, while it counts (until a request succeeds or an explicit load). */
  private readonly crashes = new Map<string, ModelCrash>();
  private disposed = false;

  private constructor(options: LlamaEngineOptions) {
    this.options = options;
    this.prober = new ModelProber(options.probeVerdictsFile);
    this.pool = new ModelPool<RunnerModel>({
      load: (id, onProgress) => this.load(id, onProgress),
      estimateBytes: (id) => this.models.get(id)?.sizeBytes ?? 0,
      maxLoaded: options.maxLoadedModels,
      memoryBudget: options.memoryBudget,
      defaultKeepAlive: options.keepAlive,
      queueSize: options.queueSize,
      onEvent: (event) => this.logPoolEvent(event),
    });
    this.setModels(options.models, options.aliases);
  }

  /**
   * Checks, in a short child process, that llama.cpp's prebuilt binary for this machine starts with
   * `--gpu` (it never builds or downloads); the server itself never loads it: runners do.
   * @throws StartupError with one line when no binary works here.
   */
  static async create(options: LlamaEngineOptions): Promise<LlamaEngine> {
    const check = await llamaBinaryCheck(options.gpu);
    if (!check.ok) {
      // A setting the machine cannot use: one line for the user, not node-llama-cpp's stack.
      if (check.noBinary) throw new StartupError(await noBinaryMessage(options.gpu));
      throw new Error(`llama.cpp cannot start: ${check.message}`);
    }
    options.logger.info({ event: "engine_ready", gpu: check.gpu, threads: options.threads }, "llama.cpp ready");
    return new LlamaEngine(options);
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
    const model = this.resolve(id).id;
    const { loaded, memoryBytes, expiresAt } = this.pool.status(model);
    const runner = this.pool.loaded().find((entry) => entry.id === model)?.model;
    return { loaded, memoryBytes, expiresAt, runnerPid: runner?.pid ?? null, lastCrash: this.crashes.get(model) ?? null };
  }

  async loadModel(id: string, options: LoadModelOptions = {}): Promise<ModelState & { loadMs: number }> {
    // An explicit load is the user's word that a model that kept crashing may be tried again.
    const crash = this.crashes.get(this.resolve(id).id);
    if (crash) crash.inARow = 0;
    const info = this.servable(id);
    const started = performance.now();
    await this.pool.load(info.id, options.keepAlive, options.onProgress);
    return { ...this.modelState(info.id), loadMs: Math.round(performance.now() - started) };
  }

  unloadModel(id: string): Promise<boolean> {
    return this.pool.unload(this.resolve(id).id);
  }

  chat(request: ChatRequest): Promise<GenerationResult> {
    return this.withModel(request.model, request.keepAlive, request.signal, (model) => model.chat(request));
  }

  /**
   * A session holds its model, and a slot of it, only while a round generates, not while the tool
   * loop runs the round's tools: a tool may ask another model (`shimmy_chat`), whose load at
   * --max-loaded-models 1 waits for this model to be idle, or this same model, whose request waits for
   * a free slot (at --parallel 1, the one the session held); held across the tools, either deadlocked
   * (issue 26). So each round takes a slot for itself, the one whose cache shares most of its prompt:
   * when nothing else ran on it meanwhile, that is the last round's, and the round evaluates only its
   * new tokens. Between rounds the pool may unload the model; the next round loads it again. That is
   * correct because each round carries the whole conversation, the slot's KV cache only a shortcut:
   * on a fresh runner or a slot another request used, the round evaluates more of its prompt
   * (`promptTokensReused` says how much). The pool's session keeps the model from expiring meanwhile.
   */
  async chatSession(options: ChatSessionOptions): Promise<ChatSession> {
    const id = this.resolve(options.model).id;
    const endSession = this.pool.openSession(id);
    let released = false;
    try {
      // Loaded now, as a request would be: a model that cannot load fails the opening (where a route falls back).
      await this.withModel(id, options.keepAlive, options.signal, async () => undefined);
    } catch (err) {
      endSession();
      throw err;
    }
    return {
      chat: (round) => {
        if (released) return Promise.reject(new Error("chat session already released"));
        return this.withModel(id, options.keepAlive, options.signal, async (model) => {
          const slot = model.chatSession(options.signal);
          try {
            return await slot.chat(round);
          } finally {
            slot.release();
          }
        });
      },
      release: () => {
        if (released) return;
        released = true;
        endSession();
      },
    };
  }

  countChatTokens(request: ChatRequest): Promise<number> {
    return this.withModel(request.model, request.keepAlive, request.signal, (model) => model.countChatTokens(request));
  }

  complete(request: CompletionRequest): Promise<GenerationResult> {
    return this.withModel(request.model, request.keepAlive, request.signal, (model) => model.complete(request));
  }

  infill(request: InfillRequest): Promise<GenerationResult> {
    return this.withModel(request.model, request.keepAlive, request.signal, (model) => model.infill(request));
  }

  embed(request: EmbeddingRequest): Promise<EmbeddingResult> {
    return this.withModel(request.model, request.keepAlive, request.signal, (model) => model.embed(request));
  }

  slotStatus(): SlotStatus[] {
    return this.pool.loaded().map(({ model }) => model.slotStatus);
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.pool.dispose();
  }

  /** Runs `work` on the loaded model; `signal` takes the request out of the pool's line of loads when its client leaves. */
  private withModel<T>(id: string, keepAlive: KeepAlive | undefined, signal: AbortSignal | undefined, work: (model: RunnerModel) => Promise<T>): Promise<T> {
    try {
      const info = this.servable(id);
      if (this.disposed) throw retryLater("The server is shutting down.");
      return this.pool.use(info.id, keepAlive, work, undefined, signal).then((value) => {
        // A request answered: the crashes before it no longer count as in a row.
        const crash = this.crashes.get(info.id);
        if (crash) crash.inARow = 0;
        return value;
      });
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

  /** The model, when it may be loaded. @throws ShimmyError `model_not_found`, `model_invalid` or (crashed too often) `model_failed`. */
  private servable(id: string): ModelInfo {
    const info = this.resolve(id);
    if (info.invalidReason) {
      throw new ShimmyError("model_invalid", `The model "${info.id}" (${info.path}) was refused: ${info.invalidReason}. Replace the file.`, {
        param: "model",
      });
    }
    const crash = this.crashes.get(info.id);
    if (crash && crash.inARow >= CRASHES_BEFORE_FAILED) {
      // Nothing failed in this request: the model is unavailable until the user reloads it, so a 503, not a 500.
      throw new ShimmyError(
        "model_failed",
        `The model "${info.id}" crashed ${crash.inARow} times in a row (last: its runner was ${crash.reason}), so it is not started again by requests. ` +
          `Reload it explicitly with POST /api/models/load {"model": "${info.id}"} (shimmy load ${info.id}) once the cause is fixed.`,
        { param: "model" },
      );
    }
    return info;
  }

  /** A runner died by itself: its requests already failed; log it, count it, and let the pool forget it. */
  private crashed(id: string, runner: RunnerModel, exit: RunnerExit, stderr: string[]): void {
    const reason = describeExit(exit);
    const inARow = (this.crashes.get(id)?.inARow ?? 0) + 1;
    this.crashes.set(id, { at: Date.now(), reason, inARow });
    this.options.logger.error(
      { event: "model_crashed", model: id, pid: runner.pid, code: exit.code, signal: exit.signal, inARow, stderr },
      `the runner of "${id}" was ${reason}${inARow >= CRASHES_BEFORE_FAILED ? `; ${inARow} crashes in a row: refused until loaded explicitly` : ""}`,
    );
    if (this.pool.loaded().some((entry) => entry.model === runner)) void this.pool.unload(id, "crashed").catch(() => undefined);
  }

  /**
   * Starts a runner for the model. A file's first load is its probe: a runner that dies loading it
   * (llama.cpp asserts) or cannot load its weights gets the file refused, remembered by the prober;
   * a file that passed once and fails later (memory for the context) is a failed load, not a verdict.
   */
  private async load(id: string, onProgress: (progress: number) => void): Promise<RunnerModel> {
    const info = this.servable(id);
    const { logger } = this.options;
    logger.info({ event: "model_load", model: id, path: info.path }, "loading model");
    const known = await this.prober.known(info.path);
    if (known && !known.ok) this.refuse(info, known.reason);
    let lastReported = 0;
    let runner: RunnerModel | undefined;
    try {
      runner = await RunnerModel.start(
        {
          id, path: info.path, contextSize: info.contextSize, parallel: this.options.parallel,
          threads: this.options.threads, queueSize: this.options.queueSize, gpu: this.options.gpu,
        },
        {
          logger,
          onProgress: (progress) => {
            onProgress(progress);
            if (progress - lastReported >= 0.25 || progress === 1) {
              lastReported = progress;
              logger.info({ event: "model_load_progress", model: id, percent: Math.round(progress * 100) });
            }
          },
          onCrash: (exit, stderr) => this.crashed(id, runner!, exit, stderr),
        },
      );
    } catch (err) {
      if (err instanceof RunnerLoadError && !known && err.stage !== "context") {
        const verdict: ProbeVerdict = { ok: false, reason: refusalReason(err) };
        await this.prober.remember(info.path, verdict).catch(() => undefined);
        this.refuse(info, verdict.reason);
      }
      logger.error({ event: "model_load_failed", model: id, err, ...(err instanceof RunnerLoadError ? { stderr: err.stderr } : {}) }, "model load failed");
      publishModelEvent({ type: "load_failed", id, reason: "failed" });
      throw new ShimmyError("model_load_failed", `llama.cpp could not load "${id}": ${(err as Error).message}`, { cause: err });
    }
    if (!known) await this.prober.remember(info.path, { ok: true }).catch(() => undefined);
    return runner;
  }

  /** Lists the model as invalid from now on, and refuses the request. */
  private refuse(info: ModelInfo, reason: string): never {
    const { logger } = this.options;
    this.models.set(info.id, { ...info, invalidReason: reason });
    logger.error({ event: "model_refused", model: info.id, path: info.path, reason }, `refusing ${path.basename(info.path)}`);
    publishModelEvent({ type: "load_failed", id: info.id, reason: "refused" });
    throw new ShimmyError("model_invalid", `The model "${info.id}" (${info.path}) was refused: ${reason}. Replace the file.`, { param: "model" });
  }

  private logPoolEvent(event: PoolEvent): void {
    publishModelEvent(event);
    const { logger } = this.options;
    if (event.type === "load") logger.info({ event: "model_loaded", model: event.id, ms: event.ms, memoryBytes: event.memoryBytes }, "model loaded");
    else if (event.type === "unload") logger.info({ event: "model_unloaded", model: event.id, reason: event.reason }, "model unloaded");
    else logger.warn({ event: "over_budget", model: event.id, loaded: event.loaded, memoryBytes: event.memoryBytes }, "a model bigger than the memory budget on its own: loading it with nothing else loaded");
  }
}

/** Why a file's first load refuses it: llama.cpp's own words when it logged them ("error loading model: …"). */
function refusalReason(err: RunnerLoadError): string {
  const why = err.stderr.find((line) => line.includes("error loading model"))?.replace(/^.*error loading model:\s*/, "").trim().slice(0, 300);
  if (err.stage === "weights") return why ? `${err.message}: ${why}` : err.message;
  const lastLog = err.stderr.slice(-2).join(" ").slice(0, 300);
  const signal = /killed by (\w+)/.exec(err.message)?.[1];
  return `llama.cpp aborted while loading it${signal ? ` (${signal})` : ""}${lastLog ? `: ${lastLog}` : ""}`;
}
