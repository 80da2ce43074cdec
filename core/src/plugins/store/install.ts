/**
 * `shimmy plugin install PATH.tgz|DIR`: every check runs on a copy in a staging folder, the user
 * approves the resolved permissions, and only then is the copy renamed into a fresh folder
 * `plugins/NAME/VERSION-UNIQUE/` (never the one in use, even for the same version), the lock
 * switched to it (the one rename that commits), and the old folder removed. A failure at any step,
 * or a `kill -9` between any two, leaves the lock naming a complete folder (the old or the new);
 * what a killed install leaves over (staging, an unused folder) goes at the next store command.
 */
import { createHash } from "node:crypto";
import fsp from "node:fs/promises";
import path from "node:path";
import { supportsCoreVersion, validateManifest, type PluginManifest } from "@shimmy/plugin-sdk";
import { checkModule } from "../module-check.js";
import { PluginCallError } from "../plugin-call-error.js";
import type { StoreLayout } from "./layout.js";
import { installedDir, newInstallFolder, pluginDir } from "./layout.js";
import { writeLock, type LockedPlugin, type RegistryOrigin } from "./lock-file.js";
import { readPackage } from "./package-reader.js";
import { resolvePermissions, widening, type ResolvedPermissions } from "./permissions.js";
import { readPluginSecrets } from "./secrets.js";
import { checkPluginStarts } from "./start-check.js";
import { StoreError } from "./store-error.js";
import { withStore } from "./store-recovery.js";
import { pauseAt } from "./test-pause.js";

/** What an install would do, shown to the user before anything changes. */
export interface InstallPlan {
  manifest: PluginManifest;
  /** The permissions resolved with the plugin's current (or no) config. */
  permissions: ResolvedPermissions;
  /** The installed version this replaces, if any, and what it was granted. */
  previous?: Pick<LockedPlugin, "version" | "permissions">;
  /** Against `previous`: what this version may reach that the installed one was not granted. */
  widened: string[];
}

/**
 * A package already fetched and verified elsewhere (a registry or the bundled plugins): its bytes,
 * what to record as its source, and the name and version it must turn out to be.
 */
export interface FetchedPackage {
  tarball: Buffer;
  /** Recorded as the lock entry's `source` (the tarball URL or the bundled file). */
  source: string;
  /** The lock entry's `registry`: where later updates look, within which range. */
  registry: RegistryOrigin;
  /** The package must hold this plugin: a registry cannot slip in another name, or another version. */
  expect: { name: string; version: string };
}

/** Options of {@link installPlugin}. */
export interface InstallOptions {
  /** This core's version, checked against the manifest's `shimmy` range. */
  coreVersion: string;
  /** Shows the plan and answers whether to go on; not called with `yes`. */
  confirm(plan: InstallPlan): Promise<boolean>;
  /** Skips the question (`--yes`). */
  yes?: boolean;
  /** Progress lines for long steps (building a source folder). */
  onProgress?(message: string): void;
  /** The deadline of the start check (the module is instantiated once). @default PLUGIN_START_TIMEOUT_MS (5 s) */
  startTimeoutMs?: number;
}

/** What {@link installPlugin} installed. */
export interface InstallResult {
  name: string;
  entry: LockedPlugin;
  dir: string;
  plan: InstallPlan;
  /** The lock generation that committed it. */
  generation: number;
}

/** The files a package must hold, relative to `package/`. */
const REQUIRED_FILES = ["package.json", "shimmy-plugin.json", "plugin.wasm", "README.md"] as const;

function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** The package's tarball bytes: the `.tgz` as given, or a source folder built and packed first. */
async function packageBytes(source: string, stagingRoot: string, onProgress?: (m: string) => void): Promise<Buffer> {
  const stat = await fsp.stat(source).catch(() => null);
  if (!stat) throw new StoreError("invalid_package", `${source} does not exist: give a plugin's .tgz or its source folder`);
  if (stat.isFile()) return fsp.readFile(source);
  if (!stat.isDirectory()) throw new StoreError("invalid_package", `${source} is neither a file nor a folder`);
  const entry = await fsp.stat(path.join(source, "assembly", "index.ts")).catch(() => null);
  if (!entry?.isFile()) {
    throw new StoreError("invalid_package", `${source} has no assembly/index.ts: give a plugin's source folder (made with shimmy-plugin init) or its .tgz`);
  }
  onProgress?.(`building ${source}`);
  // Loaded only here: the AssemblyScript compiler is large and only source installs need it.
  const { packPlugin } = await import("@shimmy/plugin-sdk/pack");
  try {
    const packed = await packPlugin(source, { out: path.join(stagingRoot, "package.tgz") });
    return fsp.readFile(packed.file);
  } catch (error) {
    throw new StoreError("invalid_package", `building ${source} failed: ${(error as Error).message}`, { cause: error });
  }
}

/** Validates the unpacked files; returns the manifest (limits filled in). */
async function checkPackage(files: Map<string, Buffer>, coreVersion: string): Promise<PluginManifest> {
  const missing = REQUIRED_FILES.filter((f) => !files.has(f));
  if (missing.length > 0) throw new StoreError("invalid_package", `the package lacks ${missing.map((f) => `package/${f}`).join(", ")}`);
  const json = (file: string): unknown => {
    try {
      return JSON.parse((files.get(file) as Buffer).toString("utf8"));
    } catch (error) {
      throw new StoreError("invalid_package", `package/${file} is not valid JSON: ${(error as Error).message}`);
    }
  };
  const checked = validateManifest(json("shimmy-plugin.json"));
  if (!checked.ok) {
    throw new StoreError("invalid_package", `package/shimmy-plugin.json is not a valid manifest:\n${checked.errors.map((e) => `  ${e.path || "(root)"}: ${e.message}`).join("\n")}`);
  }
  const manifest = checked.manifest;
  const pkg = json("package.json") as { name?: unknown; version?: unknown };
  if (pkg.name !== manifest.name || pkg.version !== manifest.version) {
    throw new StoreError("invalid_package", `package/package.json says ${String(pkg.name)}@${String(pkg.version)} but the manifest says ${manifest.name}@${manifest.version}`);
  }
  if (!supportsCoreVersion(manifest, coreVersion)) {
    throw new StoreError("unsupported_core", `${manifest.name}@${manifest.version} supports Shimmy ${manifest.shimmy}; this is Shimmy ${coreVersion}. Install a version of the plugin made for it.`);
  }
  try {
    await checkModule(files.get("plugin.wasm") as Buffer, manifest);
  } catch (error) {
    if (error instanceof PluginCallError) throw new StoreError("invalid_package", `package/plugin.wasm is refused: ${error.message}`, { cause: error });
    throw error;
  }
  return manifest;
}

/** Writes the accepted files under `dir` (new files only: the folder is fresh). */
async function writeFiles(dir: string, files: Map<string, Buffer>): Promise<void> {
  for (const [relative, bytes] of files) {
    const target = path.join(dir, ...relative.split("/"));
    await fsp.mkdir(path.dirname(target), { recursive: true });
    await fsp.writeFile(target, bytes, { flag: "wx", mode: 0o644 });
  }
}

/**
 * Installs (or replaces) a plugin from a `.tgz`, a source folder, or a package fetched from a
 * registry ({@link FetchedPackage}).
 *
 * The module is instantiated once, with nothing granted, under the start deadline: one whose start
 * function or `hs_init` traps or never returns is refused (checkPluginStarts).
 *
 * @throws {StoreError} `invalid_package`, `unsafe_package`, `unsupported_core`, `cancelled`,
 *   `busy` or `corrupt_store`; the store is unchanged whenever it throws.
 */
export async function installPlugin(layout: StoreLayout, source: string | FetchedPackage, options: InstallOptions): Promise<InstallResult> {
  return withStore(layout, async (lock) => {
    // withStore cleared the staging folder of what killed installs left.
    await fsp.mkdir(layout.stagingDir, { recursive: true });
    const stage = await fsp.mkdtemp(path.join(layout.stagingDir, "install-"));
    try {
      const fetched = typeof source === "string" ? null : source;
      const origin = fetched ? fetched.source : path.resolve(source as string);
      const tarball = fetched ? fetched.tarball : await packageBytes(origin, stage, options.onProgress);
      const integrity = `sha512-${createHash("sha512").update(tarball).digest("base64")}`;
      const files = await readPackage(tarball);
      if (fetched && !files.has("shimmy-plugin.json")) {
        throw new StoreError("invalid_package", `${fetched.expect.name}@${fetched.expect.version} is an npm package but not a Shimmy plugin: it has no shimmy-plugin.json. Only packages made with shimmy-plugin pack or publish can be installed`);
      }
      const manifest = await checkPackage(files, options.coreVersion);
      if (fetched && (manifest.name !== fetched.expect.name || manifest.version !== fetched.expect.version)) {
        throw new StoreError("invalid_package", `the package fetched for ${fetched.expect.name}@${fetched.expect.version} holds ${manifest.name}@${manifest.version}: refusing it`);
      }

      const existing = lock.plugins[manifest.name];
      const secrets = (await readPluginSecrets(layout))[manifest.name] ?? {};
      const config = { ...(existing?.config ?? {}), ...secrets };
      await checkPluginStarts(files.get("plugin.wasm") as Buffer, manifest, config, {
        home: layout.userHome,
        ...(options.startTimeoutMs === undefined ? {} : { startTimeoutMs: options.startTimeoutMs }),
      });
      const permissions = resolvePermissions(manifest, config, layout.userHome);
      const plan: InstallPlan = {
        manifest,
        permissions,
        ...(existing ? { previous: { version: existing.version, permissions: existing.permissions } } : {}),
        widened: existing ? widening(existing.permissions, permissions.granted) : [],
      };
      if (!options.yes && !(await options.confirm(plan))) throw new StoreError("cancelled", `${manifest.name} was not installed`);

      const unpacked = path.join(stage, "package");
      await writeFiles(unpacked, files);
      await pauseAt("install:staged");
      // A fresh folder beside the one in use: nothing the lock names is touched until it switches.
      const folder = newInstallFolder(manifest.version);
      const target = path.join(pluginDir(layout, manifest.name), folder);
      await fsp.mkdir(path.dirname(target), { recursive: true });
      await fsp.rename(unpacked, target);
      await pauseAt("install:placed");

      const entry: LockedPlugin = {
        version: manifest.version,
        dir: folder,
        integrity,
        wasmSha256: sha256Hex(files.get("plugin.wasm") as Buffer),
        source: origin,
        ...(fetched ? { registry: fetched.registry } : {}),
        permissions: permissions.granted,
        config: existing?.config ?? {},
        enabled: existing?.enabled ?? true,
        installedAt: new Date().toISOString(),
      };
      let generation: number;
      try {
        generation = await writeLock(layout, { ...lock, plugins: { ...lock.plugins, [manifest.name]: entry } });
      } catch (error) {
        await fsp.rm(target, { recursive: true, force: true });
        throw error;
      }
      await pauseAt("install:committed");
      if (existing) await fsp.rm(installedDir(layout, manifest.name, existing), { recursive: true, force: true });
      return { name: manifest.name, entry, dir: target, plan, generation };
    } finally {
      await fsp.rm(stage, { recursive: true, force: true });
    }
  });
}
