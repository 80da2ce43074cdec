/**
 * For the plugin tests: the AssemblyScript test plugins of `core/test-plugins` compiled to real
 * wasm, and a plugin store under a temporary `$SHIMMY_HOME` with them installed, written directly
 * (lock entry, manifest, `plugin.wasm`) rather than through `shimmy plugin install`.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { Capability, PluginManifest, StepCapability, ToolCapability } from "@shimmy/plugin-sdk";
import { installedDir, type StoreLayout } from "./store/layout.js";
import { readLock, writeLock, type LockedPlugin } from "./store/lock-file.js";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/**
 * Compiles `core/test-plugins/SOURCE.ts` with asc into `DIR/OUT.wasm`; `maxPages` null leaves the
 * memory unbounded.
 */
export async function compileTestPlugin(source: string, dir: string, out: string, maxPages: number | null): Promise<Uint8Array> {
  const file = path.join(dir, `${out}.wasm`);
  const args = [path.join("core/test-plugins", `${source}.ts`), "--outFile", file, "--runtime", "stub", "-O2", "--use", "abort=core/test-plugins/common/pluginAbort"];
  if (maxPages !== null) args.push("--maximumMemory", String(maxPages));
  await run(path.join(ROOT, "node_modules/.bin/asc"), args, { cwd: ROOT });
  return new Uint8Array(await readFile(file));
}

/** A tool capability whose export has its name, taking any object. */
export function testTool(name: string, extra: Partial<ToolCapability> = {}): ToolCapability {
  return { kind: "tool", export: name, name, description: name, inputSchema: { type: "object" }, ...extra };
}

/** A workflow step capability whose export has its name, taking and returning anything. */
export function testStep(name: string, extra: Partial<StepCapability> = {}): StepCapability {
  return { kind: "step", export: name, name, description: name, input: true, output: true, ...extra };
}

/** A valid manifest of a test plugin, with small limits. */
export function testManifest(name: string, capabilities: Capability[], extra: Partial<PluginManifest> = {}): PluginManifest {
  return {
    name,
    version: "1.0.0",
    description: "test plugin",
    shimmy: "*",
    capabilities,
    limits: { memoryMaxPages: 64, timeoutMs: 5000, maxResponseBytes: 64 * 1024 },
    ...extra,
  };
}

/** A lock entry of a plugin at 1.0.0, enabled, granted nothing; `extra` overrides fields. */
export function testLockEntry(extra: Partial<LockedPlugin> = {}): LockedPlugin {
  return {
    version: "1.0.0",
    integrity: "sha512-AAAA",
    wasmSha256: "0".repeat(64),
    source: "/test-plugins",
    permissions: { net: [], fs: { read: [], write: [] } },
    config: {},
    enabled: true,
    installedAt: "2026-01-01T00:00:00.000Z",
    ...extra,
  };
}

/**
 * Installs `wasm` as `manifest.name` in the store (its folder, then its lock entry, as an install
 * commits it); `entry` overrides lock fields (`enabled`, `config`, `permissions`, `wasmSha256`).
 */
export async function installTestPlugin(layout: StoreLayout, manifest: PluginManifest, wasm: Uint8Array, entry: Partial<LockedPlugin> = {}): Promise<void> {
  const locked = testLockEntry({
    version: manifest.version,
    dir: `${manifest.version}-00000000`,
    wasmSha256: createHash("sha256").update(wasm).digest("hex"),
    ...entry,
  });
  const dir = installedDir(layout, manifest.name, locked);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, "shimmy-plugin.json"), JSON.stringify(manifest));
  await writeFile(path.join(dir, "plugin.wasm"), wasm);
  const lock = await readLock(layout);
  await writeLock(layout, { ...lock, plugins: { ...lock.plugins, [manifest.name]: locked } });
}
