/**
 * The running server's view of the plugin store: every enabled plugin loaded in a {@link PluginHost},
 * reloaded when `plugins.lock.json` or `secrets.json` changes (the CLI writes them; no restart), and
 * its tools callable by name. A plugin that cannot be loaded (its `plugin.wasm` changed after install,
 * settings that reach more than was approved, instances that do not come up within their start
 * deadline) is listed with the reason and refused when called; so is one whose instances later keep
 * failing to start. Plugins load side by side, and a call never waits for another plugin's load.
 */
import { watch, type FSWatcher } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import type { PluginManifest, ToolCapability } from "@shimmy/plugin-sdk";
import { ShimmyError } from "../errors.js";
import { PluginHost, type PluginHostLogger } from "./host.js";
import { PluginCallError } from "./plugin-call-error.js";
import type { StoreLayout } from "./store/layout.js";
import { installedDir, storeId } from "./store/layout.js";
import { lockGeneration, type GrantedPermissions, type LockedPlugin } from "./store/lock-file.js";
import { missingRequiredConfig } from "./store/plugin-config.js";
import { resolvePermissions, widening } from "./store/permissions.js";
import { clearLoadStatus, writeLoadStatus, type FailedPlugin } from "./store/load-status.js";
import { readCommittedStore } from "./store/store-commit.js";
import { readInstalledManifest, readVerifiedWasm } from "./store/store.js";
import { assignFunctionNames } from "./tool-names.js";

/** One plugin as `GET /api/plugins` shows it. */
export interface PluginSummary {
  name: string;
  version: string;
  description: string;
  enabled: boolean;
  /** `ready`: loaded; `disabled`; `error`: installed but not loadable, or marked failed (see `error`). */
  status: "ready" | "disabled" | "error";
  error?: string;
  tools: {
    name: string;
    /** The safe, unique name chat requests will use for it. */
    function_name: string;
    title?: string;
    description: string;
    inputSchema: Record<string, unknown>;
    outputSchema?: Record<string, unknown>;
    annotations?: ToolCapability["annotations"];
  }[];
  permissions: GrantedPermissions;
  /** Non-secret settings; secret ones are only named in `secrets_set`. */
  config: Record<string, unknown>;
  secrets_set: string[];
  missing_config: string[];
}

/** A tool call as `POST /api/tools/call` takes it. */
export interface ToolCallRequest {
  name: string;
  plugin?: string;
  arguments: Record<string, unknown>;
}

interface Loaded {
  name: string;
  entry: LockedPlugin;
  manifest: PluginManifest | null;
  host: PluginHost | null;
  error?: string;
  secretsSet: string[];
  missingConfig: string[];
  /** What the load depended on: an unchanged fingerprint keeps the running host. */
  fingerprint: string;
}

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
}

/** What `/health` tells about the plugins. */
export interface PluginsHealth {
  /** Plugins loaded and running. */
  ready: number;
  /** Enabled plugins that cannot run, each with the reason. */
  failed: { name: string; error: string }[];
}

const RELOAD_DEBOUNCE_MS = 50;

/** HTTP status for each way a plugin call can fail. */
function toShimmyError(error: unknown, plugin: string, tool: string): unknown {
  if (!(error instanceof PluginCallError)) return error;
  switch (error.code) {
    case "invalid_input":
    case "payload_too_large":
      return new ShimmyError("invalid_parameter", error.message, { param: "arguments", cause: error });
    case "unknown_tool":
      return new ShimmyError("tool_not_found", error.message, { cause: error });
    case "timeout":
      return new ShimmyError("tool_timeout", `${plugin} ${tool}: ${error.message}`, { cause: error });
    case "closed":
      return new ShimmyError("plugin_unavailable", `${plugin} was reloaded or removed during the call; call it again`, { cause: error });
    case "busy":
      return new ShimmyError("plugin_busy", `${plugin} ${tool}: ${error.message}`, { headers: { "Retry-After": "1" }, cause: error });
    case "start_failed":
      return new ShimmyError("plugin_unavailable", `${plugin} could not start an instance for ${tool}: ${error.message}`, { cause: error });
    default:
      return new ShimmyError("tool_failed", error.message.startsWith(plugin) ? error.message : `${plugin} ${tool}: ${error.message}`, { cause: error });
  }
}

/** The installed plugins of one `$SHIMMY_HOME`, loaded and kept in step with the store. */
export class InstalledPlugins {
  readonly #options: InstalledPluginsOptions;
  #serverAddresses: { host: string; port: number }[] = [];
  #plugins = new Map<string, Loaded>();
  /** The lock generation the loaded plugins come from. */
  #generation = 0;
  #storeId = "";
  #functionNames = new Map<string, string>();
  #watcher: FSWatcher | undefined;
  #timer: NodeJS.Timeout | undefined;
  #reloading: Promise<void> | undefined;
  #again = false;
  #closed = false;
  /** Aborted by close(): abandons loads in progress, so a plugin slow to start never holds up a shutdown. */
  readonly #closing = new AbortController();
  /** The last write of plugin-status.json: writes go one after another. */
  #statusWrite: Promise<void> = Promise.resolve();

  constructor(options: InstalledPluginsOptions) {
    this.#options = options;
  }

  /**
   * Loads every enabled plugin and starts watching the store. `serverAddresses` are the server's own
   * listen addresses, which no plugin may reach.
   */
  async start(serverAddresses: { host: string; port: number }[]): Promise<void> {
    this.#serverAddresses = serverAddresses;
    const { layout, logger } = this.#options;
    try {
      // Made now so it can be watched: the first `shimmy plugin install` may come after the start.
      await mkdir(layout.home, { recursive: true });
      this.#storeId = await storeId(layout);
      // The folder, not the files: the CLI replaces them by rename, which a file watch would lose.
      this.#watcher = watch(layout.home, { persistent: false }, (_event, file) => {
        const name = file?.toString();
        if (name === path.basename(layout.lockFile) || name === path.basename(layout.secretsFile)) this.#scheduleReload();
      });
      this.#watcher.on("error", (err) => logger.warn({ err }, "stopped watching the plugin store; restart to pick up plugin changes"));
    } catch (err) {
      logger.warn({ err }, `cannot watch ${layout.home}; restart the server to pick up plugin changes`);
    }
    await this.reload();
  }

  #scheduleReload(): void {
    if (this.#closed) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.reload().catch((err: unknown) => this.#options.logger.error({ err }, "reloading the plugins failed")), RELOAD_DEBOUNCE_MS);
  }

  /** Reads the store again and loads, reloads or closes what changed. One reload at a time. */
  reload(): Promise<void> {
    if (this.#reloading) {
      this.#again = true;
      return this.#reloading;
    }
    this.#reloading = (async () => {
      do {
        this.#again = false;
        await this.#reloadOnce();
      } while (this.#again && !this.#closed);
    })().finally(() => (this.#reloading = undefined));
    return this.#reloading;
  }

  async #reloadOnce(): Promise<void> {
    const { layout, logger } = this.#options;
    let lock;
    let secrets: Record<string, Record<string, unknown>>;
    try {
      // Only what the lock committed: never secrets of a `plugin config` still in progress.
      ({ lock, secrets } = await readCommittedStore(layout));
    } catch (err) {
      // A store we cannot read keeps what is loaded: better stale than nothing.
      logger.warn({ err }, `cannot read the plugin store: ${(err as Error).message}`);
      return;
    }
    const next = new Map<string, Loaded>();
    const stale: PluginHost[] = [];
    const loads: Promise<void>[] = [];
    for (const [name, entry] of Object.entries(lock.plugins)) {
      const own = secrets[name] ?? {};
      const fingerprint = JSON.stringify([entry, own]);
      const current = this.#plugins.get(name);
      if (current && current.fingerprint === fingerprint) {
        next.set(name, current);
        continue;
      }
      if (current?.host) stale.push(current.host);
      // Side by side: a plugin slow to start costs this reload its start deadline once, not once per plugin.
      next.set(name, current ?? this.#placeholder(name, entry, fingerprint));
      loads.push(this.#load(name, entry, own, fingerprint).then((loaded) => void next.set(name, loaded)));
    }
    await Promise.all(loads);
    for (const [name, loaded] of this.#plugins) if (!next.has(name) && loaded.host) stale.push(loaded.host);
    if (this.#closed) {
      await Promise.all([...next.values()].filter((l) => l.host && !this.#plugins.has(l.name)).map((l) => l.host?.close()));
      return;
    }
    this.#plugins = next;
    this.#generation = lockGeneration(lock);
    this.#functionNames = assignFunctionNames(
      [...next.values()].flatMap((l) => (l.manifest?.capabilities ?? []).filter((c): c is ToolCapability => c.kind === "tool").map((c) => ({ plugin: l.name, tool: c.name }))),
    );
    // Calls in flight on a replaced host fail with `closed` (answered as "call it again").
    await Promise.all(stale.map((host) => host.close().catch(() => {})));
    this.#recordStatus();
    logger.info({ event: "plugins_loaded", plugins: [...next.values()].map((l) => ({ name: l.name, version: l.entry.version, status: this.#status(l) })) }, "plugins loaded");
  }

  /** Keeps a new plugin's place in the map's order while it loads (the map is swapped in whole, later). */
  #placeholder(name: string, entry: LockedPlugin, fingerprint: string): Loaded {
    return { name, entry, manifest: null, host: null, secretsSet: [], missingConfig: [], fingerprint };
  }

  async #load(name: string, entry: LockedPlugin, secrets: Record<string, unknown>, fingerprint: string): Promise<Loaded> {
    const { layout, logger } = this.#options;
    const loaded: Loaded = { name, entry, manifest: null, host: null, secretsSet: Object.keys(secrets), missingConfig: [], fingerprint };
    try {
      const dir = installedDir(layout, name, entry);
      const manifest = await readInstalledManifest(dir);
      loaded.manifest = manifest;
      const config = { ...entry.config, ...secrets };
      loaded.missingConfig = missingRequiredConfig(manifest, config);
      if (!entry.enabled) return loaded;
      const wasm = await readVerifiedWasm(dir, entry, name);
      const unapproved = widening(entry.permissions, resolvePermissions(manifest, config, layout.userHome).granted);
      if (unapproved.length > 0) {
        throw new Error(`its settings would let it reach ${unapproved.join(", ")}, which was never approved; run shimmy plugin config ${name} to approve them`);
      }
      loaded.host = await PluginHost.load({
        manifest,
        wasm,
        config,
        home: layout.userHome,
        serverAddresses: this.#serverAddresses,
        logger,
        signal: this.#closing.signal,
        onFailed: () => this.#recordStatus(),
        ...(this.#options.poolSize ? { poolSize: this.#options.poolSize } : {}),
        ...(this.#options.startTimeoutMs ? { startTimeoutMs: this.#options.startTimeoutMs } : {}),
        ...(this.#options.maxQueue ? { maxQueue: this.#options.maxQueue } : {}),
      });
    } catch (error) {
      loaded.error = (error as Error).message;
      logger.warn({ event: "plugin_load_failed", plugin: name, version: entry.version }, `cannot load plugin ${name}: ${loaded.error}`);
    }
    return loaded;
  }

  #status(loaded: Loaded): PluginSummary["status"] {
    if (!loaded.entry.enabled) return "disabled";
    return loaded.host && loaded.host.failure === null ? "ready" : "error";
  }

  /** Why a plugin cannot run: its load error, or why its instances were given up on. */
  #error(loaded: Loaded): string | undefined {
    return loaded.error ?? loaded.host?.failure ?? undefined;
  }

  /** The plugins' state for `/health`: how many run, and which enabled ones cannot, with why. */
  health(): PluginsHealth {
    const all = [...this.#plugins.values()];
    return {
      ready: all.filter((l) => this.#status(l) === "ready").length,
      failed: all.filter((l) => this.#status(l) === "error").map((l) => ({ name: l.name, error: this.#error(l) ?? "unknown reason" })),
    };
  }

  /** Writes plugin-status.json, for `shimmy plugin list`: what cannot run now, and why. */
  #recordStatus(): void {
    const { layout, logger } = this.#options;
    this.#statusWrite = this.#statusWrite.then(async () => {
      if (this.#closed) return;
      const failed: Record<string, FailedPlugin> = {};
      for (const { name, error } of this.health().failed) failed[name] = { version: this.#plugins.get(name)?.entry.version ?? "", error };
      await writeLoadStatus(layout, failed).catch((err: unknown) => logger.warn({ err }, `cannot write ${layout.statusFile}; shimmy plugin list will not show which plugins failed`));
    });
  }

  /**
   * Which store state the loaded plugins come from: its lock generation (raised by every store
   * change) and the store's id, so `shimmy plugin` can wait until this server has applied its change.
   */
  applied(): { generation: number; storeId: string } {
    return { generation: this.#generation, storeId: this.#storeId };
  }

  /** Every installed plugin with its tools, permissions and settings, sorted by name. */
  list(): PluginSummary[] {
    return [...this.#plugins.values()]
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((l) => ({
        name: l.name,
        version: l.entry.version,
        description: l.manifest?.description ?? "",
        enabled: l.entry.enabled,
        status: this.#status(l),
        ...(this.#error(l) ? { error: this.#error(l) } : {}),
        tools: (l.manifest?.capabilities ?? [])
          .filter((c): c is ToolCapability => c.kind === "tool")
          .map((c) => ({
            name: c.name,
            function_name: this.#functionNames.get(`${l.name}\n${c.name}`) ?? c.name,
            ...(c.title ? { title: c.title } : {}),
            description: c.description,
            inputSchema: c.inputSchema,
            ...(c.outputSchema ? { outputSchema: c.outputSchema } : {}),
            ...(c.annotations ? { annotations: c.annotations } : {}),
          })),
        permissions: l.entry.permissions,
        config: l.entry.config,
        secrets_set: l.secretsSet,
        missing_config: l.missingConfig,
      }));
  }

  /**
   * Calls a tool by its name (or its function name), in `plugin` when given.
   *
   * @throws {ShimmyError} `plugin_not_found`, `tool_not_found`, `ambiguous_tool` (409, naming the
   *   plugins), `plugin_unavailable`, `plugin_busy`, `invalid_parameter`, `tool_failed` or `tool_timeout`.
   */
  async callTool(request: ToolCallRequest, signal?: AbortSignal): Promise<unknown> {
    // No wait for a reload in progress: it may be waiting out another plugin's start deadline. A
    // call meanwhile uses what is loaded now (a host replaced under it fails with "call it again").
    // A tool is named by its own name or by its function name.
    const toolOf = (l: Loaded): ToolCapability | undefined =>
      (l.manifest?.capabilities ?? []).find(
        (c): c is ToolCapability => c.kind === "tool" && (c.name === request.name || this.#functionNames.get(`${l.name}\n${c.name}`) === request.name),
      );
    let target: Loaded;
    if (request.plugin !== undefined) {
      const named = this.#plugins.get(request.plugin);
      if (!named) throw new ShimmyError("plugin_not_found", `no plugin named ${request.plugin} is installed; GET /api/plugins lists them`, { param: "plugin" });
      if (!toolOf(named)) throw new ShimmyError("tool_not_found", `${request.plugin} has no tool named ${request.name}`, { param: "name" });
      target = named;
    } else {
      const candidates = [...this.#plugins.values()].filter((l) => toolOf(l) !== undefined);
      const usable = candidates.filter((l) => l.entry.enabled);
      if (usable.length > 1) {
        throw new ShimmyError("ambiguous_tool", `${usable.length} plugins have a tool named ${request.name}: ${usable.map((l) => l.name).join(", ")}; name one in "plugin"`, { param: "plugin" });
      }
      const only = usable[0] ?? candidates[0];
      if (!only) throw new ShimmyError("tool_not_found", `no installed plugin has a tool named ${request.name}; GET /api/plugins lists the tools`, { param: "name" });
      target = only;
    }
    if (!target.entry.enabled) throw new ShimmyError("plugin_unavailable", `${target.name} is disabled; enable it with: shimmy plugin enable ${target.name}`);
    if (!target.host) throw new ShimmyError("plugin_unavailable", `${target.name} could not be loaded: ${target.error ?? "unknown reason"}`);
    if (target.host.failure !== null) {
      throw new ShimmyError("plugin_unavailable", `${target.name} is marked failed: ${target.host.failure}; reinstall it, or disable and enable it to try again`);
    }
    const capability = toolOf(target) as ToolCapability;
    try {
      return await target.host.callTool(capability.name, request.arguments, signal ? { signal } : {});
    } catch (error) {
      throw toShimmyError(error, target.name, capability.name);
    }
  }

  /** Stops watching and closes every plugin. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#closing.abort();
    clearTimeout(this.#timer);
    this.#watcher?.close();
    await this.#reloading?.catch(() => {});
    await Promise.all([...this.#plugins.values()].map((l) => l.host?.close().catch(() => {})));
    this.#plugins.clear();
    await this.#statusWrite;
    await clearLoadStatus(this.#options.layout).catch(() => {});
  }
}
