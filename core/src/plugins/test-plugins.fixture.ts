/**
 * For the plugin tests: the AssemblyScript test plugins of `core/test-plugins` compiled to real
 * wasm, and a plugin store under a temporary `$SHIMMY_HOME` with them installed, written directly
 * (lock entry, manifest, `plugin.wasm`) rather than through `shimmy plugin install`.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Capability, PluginManifest, StepCapability, ToolCapability } from "@shimmy/plugin-sdk";
import { installedDir, type StoreLayout } from "./store/layout.js";
import { readLock, writeLock, type LockedPlugin } from "./store/lock-file.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const SOURCES = path.join(ROOT, "core/test-plugins");
/**
 * Compiled test plugins, by a hash of what makes them: several test files compile the same ones,
 * and each compile costs seconds of CPU on the suite's two cores. A gitignored folder, so a fresh
 * clone compiles each once.
 */
const CACHE = path.join(ROOT, "node_modules/.cache/shimmy-test-plugins");

/** A hash of the compiler's version, its arguments and every test plugin source (they import each other). */
function compileKey(args: string[]): string {
  const hash = createHash("sha256").update(JSON.parse(readFileSync(path.join(ROOT, "node_modules/assemblyscript/package.json"), "utf8")).version);
  hash.update(JSON.stringify(args));
  const files = readdirSync(SOURCES, { recursive: true }).map(String).filter((f) => f.endsWith(".ts")).sort();
  for (const file of files) hash.update(file).update(readFileSync(path.join(SOURCES, file)));
  return hash.digest("hex");
}

/**
 * Runs asc on each job's arguments in one child process, and writes each wasm to the job's file
 * (whole, then renamed: another test file may be reading the cache). One process for all: asc
 * loads once, which is most of a compile's time; and a child, so that the compiler's heap never
 * slows the timing-sensitive tests of the process that asked.
 */
const COMPILE_SCRIPT = `
import asc from "assemblyscript/asc";
import { randomUUID } from "node:crypto";
import { rename, writeFile } from "node:fs/promises";
for (const { args, file } of JSON.parse(process.argv[1])) {
  let wasm;
  const messages = [];
  const stream = { write: (chunk) => void messages.push(String(chunk)) };
  const { error } = await asc.main([...args, "--outFile", "out.wasm"], {
    stdout: stream,
    stderr: stream,
    writeFile: (name, contents) => { if (name === "out.wasm" && typeof contents !== "string") wasm = contents; },
  });
  if (error || !wasm) {
    process.stderr.write("asc " + args.join(" ") + " failed: " + (error ? error.message : "no wasm written") + "\\n" + messages.join(""));
    process.exit(1);
  }
  const temp = file + "." + randomUUID() + ".tmp";
  await writeFile(temp, wasm);
  await rename(temp, file);
}
`;

interface CompileJob {
  args: string[];
  file: string;
  done: { resolve(): void; reject(error: Error): void };
}

/** Compiles asked for in this turn of the event loop, run together in one child process. */
let batch: CompileJob[] | undefined;

function compileInBatch(args: string[], file: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!batch) {
      batch = [];
      setImmediate(() => {
        const jobs = batch!;
        batch = undefined;
        const input = JSON.stringify(jobs.map(({ args, file }) => ({ args, file })));
        execFile(process.execPath, ["--input-type=module", "-e", COMPILE_SCRIPT, input], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 }, (error, _stdout, stderr) => {
          for (const job of jobs) {
            if (error) job.done.reject(new Error(`compiling the test plugins failed: ${stderr || error.message}`));
            else job.done.resolve();
          }
        });
      });
    }
    batch.push({ args, file, done: { resolve, reject } });
  });
}

/**
 * Compiles `core/test-plugins/SOURCE.ts` with asc into `DIR/OUT.wasm`; `maxPages` null leaves the
 * memory unbounded. The same sources and flags give the same bytes, so a compile is reused from
 * the cache when one was made before (by this test file or another). Calls made together (a
 * `Promise.all`) compile in one asc process.
 */
export async function compileTestPlugin(source: string, dir: string, out: string, maxPages: number | null): Promise<Uint8Array> {
  const args = [path.join("core/test-plugins", `${source}.ts`), "--runtime", "stub", "-O2", "--use", "abort=core/test-plugins/common/pluginAbort"];
  if (maxPages !== null) args.push("--maximumMemory", String(maxPages));
  const cached = path.join(CACHE, `${compileKey(args)}.wasm`);
  if (!existsSync(cached)) {
    mkdirSync(CACHE, { recursive: true });
    await compileInBatch(args, cached);
  }
  const wasm = new Uint8Array(await readFile(cached));
  await writeFile(path.join(dir, `${out}.wasm`), wasm);
  return wasm;
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
