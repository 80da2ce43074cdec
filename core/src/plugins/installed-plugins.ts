/**
 * The running server's view of the plugin store: every enabled plugin loaded in a {@link PluginHost},
 * reloaded when `plugins.lock.json` or `secrets.json` changes (the CLI writes them; no restart), and
 * its tools, workflow steps and embedders (models `PLUGIN/EMBEDDER`) callable by name. A plugin that cannot be loaded (its `plugin.wasm`
 * changed after install, settings that reach more than was approved, instances that do not come up
 * within their start deadline) is listed with the reason and refused when called; so is one whose
 * instances later keep failing to start. Plugins load side by side, and a call never waits for
 * another plugin's load.
 *
 * A facade over one class or function per job: {@link StoreWatcher} (watching), {@link RescanLoop}
 * and {@link syncWithStore} (reloading), {@link PluginLoader} (checks and loads), {@link LoadedPlugins}
 * (the snapshot, tool and step lookup), plugin-summary.ts (responses), {@link toolCallError} and
 * {@link stepCallError} (errors).
 */
import type { PluginHost, PluginHostLogger } from "./host.js";
import type { HostChat } from "./host-functions.js";
import { RescanLoop } from "../rescan-loop.js";
import { LoadedPlugins, type StepCallRequest, type ToolCallRequest } from "./loaded-plugins.js";
import { LoadStatusRecorder } from "./load-status-recorder.js";
import { PluginLoader } from "./plugin-loader.js";
import { pluginsHealth, pluginStatus, summarizePlugins, type PluginsHealth, type PluginSummary } from "./plugin-summary.js";
import { StoreWatcher } from "./store-watcher.js";
import { storeId, type StoreLayout } from "./store/layout.js";
import type { FailedPlugin } from "./store/load-status.js";
import { readCommittedStore, type CommittedStore } from "./store/store-commit.js";
import { syncWithStore } from "./store-sync.js";
import { embedderCallError, stepCallError, toolCallError } from "./tool-call-error.js";
import { embedderModels } from "./plugin-summary.js";
import { splitEmbedderId, type EmbedderCallOptions, type EmbedderModel, type PluginEmbedderSource } from "./embedders.js";
import { ShimmyError } from "../errors.js";

export type { PluginStepSummary, PluginSummary, PluginToolSummary, PluginsHealth } from "./plugin-summary.js";
export type { StepCallRequest, ToolCallRequest } from "./loaded-plugins.js";

/** Options of {@link InstalledPlugins}. */
export interface InstalledPluginsOptions {
  layout: StoreLayout;
  logger: PluginHostLogger & { error(obj: object, msg?: string): void };
  /** Instances per plugin. @default 2 */
  poolSize?: number;
  /** Longest instantiation of one plugin instance. @default PLUGIN_START_TIMEOUT_MS (5 s) */
  startTimeoutMs?: number;
  /** Calls that may wait for one plugin's busy instances. @default DEFAULT_MAX_QUEUE (32) */
  maxQueue?: number;
  /** Generates for plugins' `shimmy_chat` (each limited to its `permissions.models`). @default none */
  chat?: HostChat;
}

/** Options of one {@link InstalledPlugins.callTool} or {@link InstalledPlugins.callStep} call. */
export interface ToolCallOptions {
  /** Cancels the call (the client went away); a running call's instance is replaced. */
  signal?: AbortSignal;
  /** The HTTP request behind the call, written on the plugin's audit line. */
  requestId?: string;
}

/** Options of one {@link InstalledPlugins.callStep} call: the same as a tool call's. */
export type StepCallOptions = ToolCallOptions;

/** Several change events of one CLI write become one reload. */
const RELOAD_DEBOUNCE_MS = 50;

/** The installed plugins of one `$SHIMMY_HOME`, loaded and kept in step with the store. */
export class InstalledPlugins implements PluginEmbedderSource {
  private readonly options: InstalledPluginsOptions;
  private plugins = new LoadedPlugins();
  private storeId = "";
  private watcher: StoreWatcher | undefined;
  private loader: PluginLoader | undefined;
  private readonly rescan: RescanLoop;
  private readonly status: LoadStatusRecorder;
  private disposed = false;
  /** Aborted by dispose(): abandons loads in progress, so a plugin slow to start never holds up a shutdown. */
  private readonly disposing = new AbortController();

  constructor(options: InstalledPluginsOptions) {
    this.options = options;
    this.status = new LoadStatusRecorder(options.layout, options.logger);
    this.rescan = new RescanLoop({
      run: () => this.reloadOnce(),
      onError: (err) => options.logger.error({ err }, "reloading the plugins failed"),
      debounceMs: RELOAD_DEBOUNCE_MS,
    });
  }

  /**
   * Loads every enabled plugin and starts watching the store. `serverAddresses` are the server's own
   * listen addresses, which no plugin may reach.
   */
  async start(serverAddresses: { host: string; port: number }[]): Promise<void> {
    const { layout, logger, poolSize, startTimeoutMs, maxQueue, chat } = this.options;
    this.loader = new PluginLoader({
      layout,
      logger,
      serverAddresses,
      signal: this.disposing.signal,
      onFailed: () => this.recordStatus(),
      ...(poolSize === undefined ? {} : { poolSize }),
      ...(startTimeoutMs === undefined ? {} : { startTimeoutMs }),
      ...(maxQueue === undefined ? {} : { maxQueue }),
      ...(chat === undefined ? {} : { chat }),
    });
    this.watcher = await StoreWatcher.start({ layout, logger, onChange: () => this.rescan.schedule() });
    this.storeId = await storeId(layout);
    await this.reload();
  }

  /** Reads the store again and loads, reloads or disposes what changed. One reload at a time. */
  reload(): Promise<void> {
    return this.rescan.request();
  }

  private async reloadOnce(): Promise<void> {
    const { layout, logger } = this.options;
    if (!this.loader) return;
    const loader = this.loader;
    let store: CommittedStore;
    try {
      // Only what the lock committed: never secrets of a `plugin config` still in progress.
      store = await readCommittedStore(layout);
    } catch (err) {
      // A store we cannot read keeps what is loaded: better stale than nothing.
      logger.warn({ err }, `cannot read the plugin store: ${(err as Error).message}`);
      return;
    }
    const { plugins, fresh, stale } = await syncWithStore(this.plugins, store, (plugin) => loader.load(plugin));
    if (this.disposed) {
      await disposeAll(fresh);
      return;
    }
    this.plugins = plugins;
    // Calls in flight on a replaced host fail with `closed` (answered as "call it again").
    await disposeAll(stale);
    this.recordStatus();
    logger.info({ event: "plugins_loaded", plugins: plugins.all().map((p) => ({ name: p.name, version: p.entry.version, status: pluginStatus(p) })) }, "plugins loaded");
  }

  /** Writes plugin-status.json, for `shimmy plugin list`: what cannot run now, and why. */
  private recordStatus(): void {
    this.status.record(() => {
      const failed: Record<string, FailedPlugin> = {};
      for (const { name, error } of this.health().failed) failed[name] = { version: this.plugins.get(name)?.entry.version ?? "", error };
      return failed;
    });
  }

  /** The plugins' state for `/health`: how many run, and which enabled ones cannot, with why. */
  health(): PluginsHealth {
    return pluginsHealth(this.plugins);
  }

  /**
   * Which store state the loaded plugins come from: its lock generation (raised by every store
   * change) and the store's id, so `shimmy plugin` can wait until this server has applied its change.
   */
  applied(): { generation: number; storeId: string } {
    return { generation: this.plugins.generation, storeId: this.storeId };
  }

  /** Every installed plugin with its tools, steps, permissions and settings, sorted by name. */
  list(): PluginSummary[] {
    return summarizePlugins(this.plugins);
  }

  /**
   * Calls a tool by its name (or its function name), in `request.plugin` when given. Its audit line
   * carries `options.requestId`.
   *
   * @throws {ShimmyError} `plugin_not_found`, `tool_not_found`, `ambiguous_tool` (409, naming the
   *   plugins), `plugin_unavailable`, `plugin_busy`, `invalid_parameter`, `tool_failed` or `tool_timeout`.
   * @example
   * const result = await plugins.callTool({ name: "calculate", arguments: { expression: "6*7" } }, { signal, requestId });
   */
  async callTool(request: ToolCallRequest, options: ToolCallOptions = {}): Promise<unknown> {
    // No wait for a reload in progress: it may be waiting out another plugin's start deadline. A
    // call meanwhile uses what is loaded now (a host replaced under it fails with "call it again").
    const { plugin, tool } = this.plugins.findTool(request);
    try {
      return await plugin.host.callTool(tool.name, request.arguments, {
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.requestId === undefined ? {} : { requestId: options.requestId }),
      });
    } catch (error) {
      throw toolCallError(error, plugin.name, tool.name);
    }
  }

  /**
   * Calls a workflow step by its name, in `request.plugin` when given, through the same host, pool,
   * limits, cancel and audit line as a tool; its input is checked against the step's `input` schema
   * and its output against its `output` schema. Its audit line carries `options.requestId`.
   *
   * @throws {ShimmyError} `plugin_not_found`, `step_not_found`, `ambiguous_step` (409, naming the
   *   plugins), `plugin_unavailable`, `plugin_busy`, `invalid_parameter` (param `input`), `step_failed`
   *   or `step_timeout`.
   * @example
   * const { chunks } = await plugins.callStep({ name: "chunk", plugin: "text", input: { text, size: 1000 } }, { signal, requestId });
   */
  async callStep(request: StepCallRequest, options: StepCallOptions = {}): Promise<unknown> {
    const { plugin, step } = this.plugins.findStep(request);
    try {
      return await plugin.host.callStep(step.name, request.input, {
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.requestId === undefined ? {} : { requestId: options.requestId }),
      });
    } catch (error) {
      throw stepCallError(error, plugin.name, step.name);
    }
  }

  /** Every installed plugin's embedders as models `PLUGIN/EMBEDDER`, sorted by id; `ready` says which can embed now. */
  embedderModels(): EmbedderModel[] {
    return embedderModels(this.plugins);
  }

  /** The plugin embedder a model id `PLUGIN/EMBEDDER` names, runnable or not; undefined when no installed plugin declares it. */
  embedder(model: string): EmbedderModel | undefined {
    const id = splitEmbedderId(model);
    if (!id || !this.plugins.get(id.plugin)) return undefined;
    return this.embedderModels().find((m) => m.id === model);
  }

  /**
   * Embeds `texts` with the plugin embedder `model` names (`PLUGIN/EMBEDDER`), through the same host,
   * pool, limits, cancel and audit line as a tool, in calls of at most its `maxBatchSize` texts, each
   * output checked (one vector per text, `dimensions` finite numbers each).
   *
   * @throws {ShimmyError} `model_not_found`, `plugin_unavailable` (disabled, not loadable, marked
   *   failed, or a size setting unset), `plugin_busy`, `invalid_parameter`, `embedder_failed` or `embedder_timeout`.
   * @example
   * const { vectors } = await plugins.embed("openai-embeddings/embed", ["hello"], { signal, requestId });
   */
  async embed(model: string, texts: readonly string[], options: EmbedderCallOptions = {}): Promise<{ vectors: Float32Array[]; promptTokens: number }> {
    const id = splitEmbedderId(model);
    const found = id ? this.plugins.findEmbedder(id.plugin, id.embedder) : undefined;
    if (!id || !found) throw new ShimmyError("model_not_found", `no installed plugin has the embedder ${model}; GET /v1/models lists the served ids`, { param: "model" });
    try {
      return await found.plugin.host.callEmbedder(found.embedder.name, texts, {
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.requestId === undefined ? {} : { requestId: options.requestId }),
      });
    } catch (error) {
      throw embedderCallError(error, found.plugin.name, found.embedder.name);
    }
  }

  /**
   * Calls the model router `router` (`PLUGIN/ROUTER`, a route's `router`) with a request's features
   * and candidates, under the plugin's deadline; its answer is the caller's to check.
   *
   * @throws {ShimmyError} `plugin_not_found`, `not_found`, `plugin_unavailable`; {@link PluginCallError} when the call fails.
   */
  async callRouter(router: string, input: unknown, options: ToolCallOptions = {}): Promise<unknown> {
    const slash = router.lastIndexOf("/");
    const found = this.plugins.findRouter(router.slice(0, slash), router.slice(slash + 1));
    return found.plugin.host.callRouter(found.router.name, input, {
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.requestId === undefined ? {} : { requestId: options.requestId }),
    });
  }

  /** Stops watching and reloading, and disposes every plugin. */
  async dispose(): Promise<void> {
    this.disposed = true;
    this.disposing.abort();
    this.watcher?.dispose();
    await this.rescan.dispose();
    await disposeAll(this.plugins.hosts());
    this.plugins = new LoadedPlugins(new Map(), this.plugins.generation);
    await this.status.dispose();
  }
}

/** Disposes hosts side by side; one that fails to dispose is already as gone as it can be. */
async function disposeAll(hosts: PluginHost[]): Promise<void> {
  await Promise.all(hosts.map((host) => host.dispose().catch(() => {})));
}
