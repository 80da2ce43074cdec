/**
 * The installed-plugin store's operations besides install (install.ts): list, info, remove,
 * enable/disable and config. Each change holds the store guard, starts by clearing up after killed
 * commands (store-recovery.ts) and commits with one rename of the lock file (store-commit.ts); the
 * running server notices the new lock file and reloads what changed. Reads follow the lock alone.
 */
import { createHash } from "node:crypto";
import fsp from "node:fs/promises";
import path from "node:path";
import { secretConfigKeys, validateManifest, type PluginManifest } from "@shimmy/plugin-sdk";
import type { StoreLayout } from "./layout.js";
import { installedDir, pluginDir } from "./layout.js";
import { readPluginSecrets } from "./secrets.js";
import type { LockedPlugin } from "./lock-file.js";
import { applyConfigAssignments, missingRequiredConfig } from "./plugin-config.js";
import { resolvePermissions, widening, type ResolvedPermissions } from "./permissions.js";
import { readLoadStatus } from "./load-status.js";
import { commitChange, readCommittedStore, type StoreChange } from "./store-commit.js";
import { StoreError } from "./store-error.js";
import { recoverIfIdle, withStore } from "./store-recovery.js";
import { pauseAt } from "./test-pause.js";

/** One installed plugin as the lock file and its folder describe it. */
export interface InstalledPlugin {
  name: string;
  entry: LockedPlugin;
  /** Its folder, as the lock names it (`plugins/NAME/VERSION-UNIQUE`). */
  dir: string;
  /** Its manifest, or why it cannot be read. */
  manifest: PluginManifest | null;
  problem?: string;
  /** Names of secret settings that are set (never their values). */
  secretsSet: string[];
  /** Required settings not set yet. */
  missingConfig: string[];
  /** Why the running server cannot run it (plugin-status.json), if it says so. */
  loadError?: string;
}

/** Reads and validates `DIR/shimmy-plugin.json` of an installed plugin. */
export async function readInstalledManifest(dir: string): Promise<PluginManifest> {
  const file = path.join(dir, "shimmy-plugin.json");
  let data: unknown;
  try {
    data = JSON.parse(await fsp.readFile(file, "utf8"));
  } catch (error) {
    throw new StoreError("corrupt_store", `${file} cannot be read: ${(error as Error).message}; reinstall the plugin`);
  }
  const checked = validateManifest(data);
  if (!checked.ok) throw new StoreError("corrupt_store", `${file} is not a valid manifest (${checked.errors[0]?.message ?? "invalid"}); reinstall the plugin`);
  return checked.manifest;
}

/**
 * Reads `plugin.wasm` of an installed plugin and checks it against the lock file's sha256.
 *
 * @throws {StoreError} `corrupt_store` when it is missing or was modified after install.
 */
export async function readVerifiedWasm(dir: string, entry: Pick<LockedPlugin, "wasmSha256">, name: string): Promise<Uint8Array> {
  const file = path.join(dir, "plugin.wasm");
  const bytes = await fsp.readFile(file).catch((error: Error) => {
    throw new StoreError("corrupt_store", `${file} cannot be read (${error.message}); reinstall ${name}`);
  });
  const actual = createHash("sha256").update(bytes).digest("hex");
  if (actual !== entry.wasmSha256) {
    throw new StoreError("corrupt_store", `${file} does not match its sha256 in the lock file (${actual} instead of ${entry.wasmSha256}): it was modified after install; refusing to load it. Reinstall ${name}.`);
  }
  return bytes;
}

/** Every installed plugin, sorted by name, with its manifest (or the reason it cannot be read). */
export async function listInstalled(layout: StoreLayout): Promise<InstalledPlugin[]> {
  await recoverIfIdle(layout);
  const { lock, secrets } = await readCommittedStore(layout);
  const failed = await readLoadStatus(layout);
  const loadError = (name: string, entry: LockedPlugin) => (failed[name]?.version === entry.version && entry.enabled ? { loadError: failed[name].error } : {});
  return Promise.all(
    Object.entries(lock.plugins)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(async ([name, entry]) => {
        const dir = installedDir(layout, name, entry);
        const own = secrets[name] ?? {};
        try {
          const manifest = await readInstalledManifest(dir);
          return { name, entry, dir, manifest, secretsSet: Object.keys(own), missingConfig: missingRequiredConfig(manifest, { ...entry.config, ...own }), ...loadError(name, entry) };
        } catch (error) {
          return { name, entry, dir, manifest: null, problem: (error as Error).message, secretsSet: Object.keys(own), missingConfig: [] };
        }
      }),
  );
}

/** One installed plugin. @throws {StoreError} `not_installed`. */
export async function installedPlugin(layout: StoreLayout, name: string): Promise<InstalledPlugin> {
  const found = (await listInstalled(layout)).find((p) => p.name === name);
  if (!found) throw notInstalled(name);
  return found;
}

function notInstalled(name: string): StoreError {
  return new StoreError("not_installed", `no plugin named ${name} is installed (shimmy plugin list shows what is)`);
}

/**
 * Runs `change` on the lock entry of `name` under the store guard and commits what it returns;
 * resolves to the new lock generation.
 */
async function changeEntry(
  layout: StoreLayout,
  name: string,
  step: StoreChange["step"],
  change: (entry: LockedPlugin) => Promise<{ entry: LockedPlugin; secrets?: StoreChange["secrets"] }>,
): Promise<number> {
  return withStore(layout, async (lock) => {
    const entry = lock.plugins[name];
    if (!entry) throw notInstalled(name);
    const next = await change(entry);
    const plugins = { ...lock.plugins, [name]: next.entry };
    return commitChange(layout, { lock, plugins, step, ...(next.secrets ? { secrets: next.secrets } : {}) });
  });
}

/** What {@link removePlugin} removed, and the lock generation that committed it. */
export interface RemoveResult {
  entry: LockedPlugin;
  generation: number;
}

/**
 * Removes a plugin: its secrets and lock entry in one commit (so nothing loads it), then, still
 * under the guard, its files.
 */
export async function removePlugin(layout: StoreLayout, name: string): Promise<RemoveResult> {
  return withStore(layout, async (lock) => {
    const entry = lock.plugins[name];
    if (!entry) throw notInstalled(name);
    const { [name]: _removed, ...plugins } = lock.plugins;
    const secrets = (await readPluginSecrets(layout))[name] ?? {};
    const generation = await commitChange(layout, { lock, plugins, step: "remove", secrets: { plugin: name, previous: secrets, next: {} } });
    // Committed: a kill from here on leaves a folder no entry names, swept by the next command.
    await pauseAt("remove:unlinked");
    await fsp.rm(pluginDir(layout, name), { recursive: true, force: true });
    return { entry, generation };
  });
}

/** Enables or disables a plugin (a disabled one stays installed but is not loaded); the new lock generation. */
export async function setPluginEnabled(layout: StoreLayout, name: string, enabled: boolean): Promise<number> {
  return changeEntry(layout, name, "config", async (entry) => ({ entry: { ...entry, enabled } }));
}

/** Options of {@link configurePlugin}. */
export interface ConfigureOptions {
  /** Asked when the new settings let the plugin reach more than was approved. */
  confirm(widened: string[], permissions: ResolvedPermissions): Promise<boolean>;
  yes?: boolean;
}

/** What {@link configurePlugin} changed. */
export interface ConfigureResult {
  config: Record<string, unknown>;
  /** The lock generation that committed it. */
  generation: number;
  secretsSet: string[];
  permissions: ResolvedPermissions;
  widened: string[];
}

/**
 * Applies `key=value` settings: validated against the plugin's config schema, secrets into
 * secrets.json, the rest and the newly resolved permissions into the lock file. A change that
 * widens what the plugin may reach is asked about again.
 *
 * @throws {StoreError} `not_installed`, `invalid_config`, `cancelled`, `busy`.
 */
export async function configurePlugin(layout: StoreLayout, name: string, assignments: string[], options: ConfigureOptions): Promise<ConfigureResult> {
  let result: Omit<ConfigureResult, "generation"> | undefined;
  const generation = await changeEntry(layout, name, "config", async (entry) => {
    const manifest = await readInstalledManifest(installedDir(layout, name, entry));
    const secrets = (await readPluginSecrets(layout))[name] ?? {};
    const next = applyConfigAssignments(manifest, { plain: entry.config, secret: secrets }, assignments);
    const permissions = resolvePermissions(manifest, { ...next.plain, ...next.secret }, layout.userHome);
    const widened = widening(entry.permissions, permissions.granted);
    if (widened.length > 0 && !options.yes && !(await options.confirm(widened, permissions))) {
      throw new StoreError("cancelled", `the settings of ${name} were not changed`);
    }
    const secretKeys = new Set(secretConfigKeys(manifest));
    result = { config: next.plain, secretsSet: Object.keys(next.secret).filter((k) => secretKeys.has(k)), permissions, widened };
    // Secrets and lock entry commit together, at the lock's rename (store-commit.ts).
    return { entry: { ...entry, config: next.plain, permissions: permissions.granted }, secrets: { plugin: name, previous: secrets, next: next.secret } };
  });
  return { ...(result as Omit<ConfigureResult, "generation">), generation };
}
