/**
 * Loads one installed plugin as the lock file describes it, with every check that comes before
 * running it: the manifest, the required settings, the wasm's sha256, and that its settings reach
 * no further than the user approved. The outcome is a {@link PluginLoad}: loaded (a running host),
 * disabled, or unloadable with the reason; never a half-loaded plugin.
 */
import type { HostChat } from "./host-functions.js";
import type { PluginManifest } from "@shimmy/plugin-sdk";
import { PluginHost, type PluginHostLogger } from "./host.js";
import { installedDir, type StoreLayout } from "./store/layout.js";
import type { LockedPlugin } from "./store/lock-file.js";
import { resolvePermissions, widening } from "./store/permissions.js";
import { missingRequiredConfig } from "./store/plugin-config.js";
import { readInstalledManifest, readVerifiedWasm } from "./store/store.js";

/** What every outcome of a load knows about its plugin. */
interface PluginRecord {
  name: string;
  entry: LockedPlugin;
  /** Names of its secret settings that are set (never their values). */
  secretsSet: string[];
  /** Required settings not set yet. */
  missingConfig: string[];
  /** What the load depended on (lock entry and secrets): an unchanged fingerprint keeps the plugin as loaded. */
  fingerprint: string;
}

/** A plugin running in its host. */
export interface LoadedPlugin extends PluginRecord {
  state: "loaded";
  manifest: PluginManifest;
  host: PluginHost;
}

/** An installed plugin the user disabled: its manifest was read, nothing runs. */
export interface DisabledPlugin extends PluginRecord {
  state: "disabled";
  manifest: PluginManifest;
}

/** An installed plugin that could not be loaded (or, disabled, whose manifest cannot be read), with why. */
export interface UnloadablePlugin extends PluginRecord {
  state: "unloadable";
  /** Null when the manifest itself could not be read. */
  manifest: PluginManifest | null;
  error: string;
}

/** The outcome of loading one plugin. */
export type PluginLoad = LoadedPlugin | DisabledPlugin | UnloadablePlugin;

/** One plugin to load: its lock entry and its secrets, as the lock committed them. */
export interface PluginToLoad {
  name: string;
  entry: LockedPlugin;
  secrets: Record<string, unknown>;
  fingerprint: string;
}

/** Options of {@link PluginLoader}. */
export interface PluginLoaderOptions {
  layout: StoreLayout;
  logger: PluginHostLogger;
  /** The server's own listen addresses, which no plugin may reach. */
  serverAddresses: { host: string; port: number }[];
  /** Abandons loads in progress (server shutdown): a plugin slow to start never holds it up. */
  signal: AbortSignal;
  /** Called when a loaded plugin is later marked failed (its instances keep failing to start). */
  onFailed(): void;
  /** Instances per plugin. @default HOST_LIMITS.instancesPerPlugin (2) */
  poolSize?: number;
  /** Longest instantiation of one plugin instance. @default PLUGIN_START_TIMEOUT_MS (5 s) */
  startTimeoutMs?: number;
  /** Calls that may wait for one plugin's busy instances. @default DEFAULT_MAX_QUEUE (32) */
  maxQueue?: number;
  /** Generates for `shimmy_chat` (the models each plugin's `permissions.models` names). @default none */
  chat?: HostChat;
}

/**
 * What `entry`'s settings would let the plugin reach that the user never approved (the lock's
 * `permissions`); empty when nothing. A hand-edited config must not widen a plugin's reach.
 */
export function unapprovedReach(manifest: PluginManifest, entry: LockedPlugin, config: Record<string, unknown>, userHome: string): string[] {
  return widening(entry.permissions, resolvePermissions(manifest, config, userHome).granted);
}

/** Loads installed plugins into hosts, one {@link PluginLoad} per plugin. */
export class PluginLoader {
  private readonly options: PluginLoaderOptions;

  constructor(options: PluginLoaderOptions) {
    this.options = options;
  }

  /** Loads one plugin. Never throws: a plugin that cannot load is an {@link UnloadablePlugin}, and logged. */
  async load({ name, entry, secrets, fingerprint }: PluginToLoad): Promise<PluginLoad> {
    const { layout, logger } = this.options;
    const record: PluginRecord = { name, entry, secretsSet: Object.keys(secrets), missingConfig: [], fingerprint };
    let manifest: PluginManifest | null = null;
    try {
      const dir = installedDir(layout, name, entry);
      manifest = await readInstalledManifest(dir);
      const config = { ...entry.config, ...secrets };
      record.missingConfig = missingRequiredConfig(manifest, config);
      if (!entry.enabled) return { ...record, state: "disabled", manifest };
      const wasm = await readVerifiedWasm(dir, entry, name);
      const unapproved = unapprovedReach(manifest, entry, config, layout.userHome);
      if (unapproved.length > 0) {
        throw new Error(`its settings would let it reach ${unapproved.join(", ")}, which was never approved; run shimmy plugin config ${name} to approve them`);
      }
      const host = await PluginHost.load({
        manifest,
        wasm,
        config,
        home: layout.userHome,
        serverAddresses: this.options.serverAddresses,
        logger,
        signal: this.options.signal,
        onFailed: () => this.options.onFailed(),
        ...(this.options.poolSize ? { poolSize: this.options.poolSize } : {}),
        ...(this.options.startTimeoutMs ? { startTimeoutMs: this.options.startTimeoutMs } : {}),
        ...(this.options.maxQueue ? { maxQueue: this.options.maxQueue } : {}),
        ...(this.options.chat ? { chat: this.options.chat } : {}),
      });
      return { ...record, state: "loaded", manifest, host };
    } catch (err) {
      const error = (err as Error).message;
      logger.warn({ event: "plugin_load_failed", plugin: name, version: entry.version }, `cannot load plugin ${name}: ${error}`);
      return { ...record, state: "unloadable", manifest, error };
    }
  }
}
