/**
 * Shimmy installs as a command: `npm pack` of the core and the SDK, `npm install -g` of the two
 * tarballs into a temporary prefix, then the installed `shimmy` and `shimmy-plugin` run from another
 * folder with empty homes: the demo model served and answering, a bundled plugin added, a new plugin
 * made, built and tested.
 *
 * No network, as in CI: npm resolves from a registry made of the workspace's package-lock.json
 * (test/helpers/lock-registry.ts) and takes every tarball from its own cache. Two things are not
 * what a user's install fetches, both for time:
 * - better-sqlite3's prebuilt binary comes from GitHub, which CI cannot reach, and compiling it takes
 *   about 4 minutes on two cores. Its install script (prebuild-install) also reads a folder of local
 *   prebuilds; the test packs the binary the workspace's own install built (same Node ABI, platform
 *   and version) into one, so the package's real install script runs and unpacks it.
 * - node-llama-cpp's GPU and other-architecture builds (CUDA, Vulkan, ARM: 640 MB, 33 of the 46 s an
 *   install took) are left out of its packument; the CPU build this machine loads is installed.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import * as tar from "tar";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLockRegistry, type LockRegistry } from "./helpers/lock-registry.js";
import { ROOT, startShimmy, type ShimmyProcess } from "./helpers/shimmy-process.js";

const run = promisify(execFile);
const CORE_VERSION = (JSON.parse(fs.readFileSync(path.join(ROOT, "core/package.json"), "utf8")) as { version: string }).version;
const SQLITE = path.join(ROOT, "node_modules/better-sqlite3");
/** The llama.cpp builds of node-llama-cpp that a CPU-only machine never loads. */
const otherLlamaBuild = (name: string) =>
  name.startsWith("@node-llama-cpp/") && (/cuda|vulkan/.test(name) || !new RegExp(`-${process.arch}(-|$)`).test(name));

let dir: string;
let registry: LockRegistry;
let prefix: string;
let tarballs: string[];
/** The folder the commands run in: no models/, no package.json, nothing of the clone. */
let elsewhere: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "shimmy-packaging-"));
  prefix = path.join(dir, "prefix");
  elsewhere = path.join(dir, "elsewhere");
  fs.mkdirSync(elsewhere);
  registry = await startLockRegistry(path.join(ROOT, "package-lock.json"), { dropOptional: otherLlamaBuild });

  const packed = path.join(dir, "packed");
  fs.mkdirSync(packed);
  await run("npm", ["pack", "--workspace", "core", "--workspace", "plugins-sdk", "--pack-destination", packed], { cwd: ROOT });
  tarballs = fs.readdirSync(packed).sort().map((file) => path.join(packed, file));

  const prebuilds = path.join(dir, "prebuilds");
  const sqliteVersion = (JSON.parse(fs.readFileSync(path.join(SQLITE, "package.json"), "utf8")) as { version: string }).version;
  const prebuild = `better-sqlite3-v${sqliteVersion}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  fs.mkdirSync(prebuilds);
  await tar.create({ gzip: true, cwd: SQLITE, file: path.join(prebuilds, prebuild) }, ["build/Release/better_sqlite3.node"]);

  await run("npm", [
    "install", "--global", "--prefix", prefix, "--registry", registry.url,
    "--no-audit", "--no-fund", "--no-update-notifier", "--logs-dir", path.join(dir, "npm-logs"), ...tarballs,
  ], {
    cwd: elsewhere,
    // NODE_LLAMA_CPP_SKIP_DOWNLOAD: node-llama-cpp's postinstall would otherwise load (or, with no
    // fitting build, download and compile) llama.cpp; the server below loads it anyway.
    env: { ...process.env, npm_config_better_sqlite3_local_prebuilds: prebuilds, NODE_LLAMA_CPP_SKIP_DOWNLOAD: "true" },
    timeout: 150_000,
  });
}, 240_000);

afterAll(async () => {
  await registry?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** The installed command `name`, run to its end from `cwd` with `env` (and PATH) alone. */
function installed(name: string, args: string[], cwd: string, env: Record<string, string> = {}) {
  return run(path.join(prefix, "bin", name), args, { cwd, env: { PATH: process.env.PATH ?? "", ...env }, timeout: 100_000 });
}

describe("the packed packages", () => {
  it("ship the core's build, launcher, demo model, bundled plugins and patches, and no sources", async () => {
    const files: string[] = [];
    await tar.list({ file: tarballs.find((t) => path.basename(t).startsWith("shimmy-core-"))!, onReadEntry: (entry) => { files.push(entry.path); } });
    const bundled = JSON.parse(fs.readFileSync(path.join(ROOT, "core/bundled-plugins/index.json"), "utf8")) as { plugins: Record<string, { file: string }> };
    expect(files).toEqual(expect.arrayContaining([
      "package/bin/shimmy.cjs", "package/dist/cli/main.js", "package/models/stories260K.gguf", "package/scripts/postinstall.mjs",
      "package/bundled-plugins/index.json", ...Object.values(bundled.plugins).map((p) => `package/bundled-plugins/${p.file}`),
      ...fs.readdirSync(path.join(ROOT, "patches")).filter((f) => f.endsWith(".patch")).map((f) => `package/patches/${f}`),
    ]));
    expect(files.filter((f) => /^package\/(src|test-plugins)\/|\.map$/.test(f))).toEqual([]);
    // npm pack's copies into core/ are gone again.
    expect(fs.existsSync(path.join(ROOT, "core/models")) || fs.existsSync(path.join(ROOT, "core/patches"))).toBe(false);
  });

  it("install with npm's cache alone, with node-llama-cpp patched as in the workspace", async () => {
    expect(registry.missing).toEqual([]);
    expect([...registry.served].filter((name) => name.startsWith("@shimmy/"))).toEqual([]);
    const core = path.join(prefix, "lib/node_modules/@shimmy/core");
    const patchedFiles = ["dist/evaluator/LlamaCompletion.js", "dist/evaluator/LlamaContext/LlamaContext.js"];
    // The core's postinstall applied patches/ to its own copy: the same bytes patch-package wrote here.
    for (const file of patchedFiles) {
      const relative = `node_modules/node-llama-cpp/${file}`;
      expect(fs.readFileSync(path.join(core, relative), "utf8")).toBe(fs.readFileSync(path.join(ROOT, relative), "utf8"));
    }
    const again = await run(process.execPath, [path.join(core, "scripts/postinstall.mjs")], { cwd: core });
    expect(again.stdout).toBe(patchedFiles.map((file) => `@shimmy/core: node-llama-cpp/${file}: already patched\n`).join(""));
    expect(fs.existsSync(path.join(core, "node_modules/better-sqlite3/build/Release/better_sqlite3.node"))).toBe(true);
  });
});

describe("the installed shimmy, run outside the clone", () => {
  let shimmy: ShimmyProcess;
  let env: Record<string, string>;
  beforeAll(async () => {
    shimmy = await startShimmy({ command: path.join(prefix, "bin/shimmy"), cwd: elsewhere });
    env = { HOME: shimmy.home, SHIMMY_HOME: path.join(shimmy.home, ".shimmy"), XDG_CACHE_HOME: path.join(shimmy.home, ".cache"), SHIMMY_URL: shimmy.url };
  });
  afterAll(() => shimmy?.stop());

  it("prints its version", async () => {
    expect((await installed("shimmy", ["--version"], elsewhere)).stdout.trim()).toBe(CORE_VERSION);
  });

  it("serves the demo model that ships in the package, and answers with it", async () => {
    const { models } = (await (await fetch(`${shimmy.url}/api/models`)).json()) as { models: Array<{ id: string; source: string; path: string }> };
    expect(models.map(({ id, source }) => ({ id, source }))).toEqual([{ id: "stories260K", source: "demo" }]);
    expect(models[0]!.path).toBe(path.join(prefix, "lib/node_modules/@shimmy/core/models/stories260K.gguf"));
    const client = shimmy.client();
    expect((await client.models.list()).data.map((m) => m.id)).toEqual(["stories260K"]);
    const answer = await client.chat.completions.create({ model: "stories260K", messages: [{ role: "user", content: "Tell me a story." }], max_tokens: 8, seed: 1 });
    expect(answer.usage!.completion_tokens).toBeGreaterThan(0);
    expect(answer.choices[0]!.message.content).toMatch(/\w/);
  });

  it("adds a bundled plugin, which the server loads", async () => {
    await installed("shimmy", ["plugin", "add", "time", "--yes"], elsewhere, env);
    const list = JSON.parse((await installed("shimmy", ["plugin", "list", "--json"], elsewhere, env)).stdout) as Array<{ name: string }>;
    expect(list.map((p) => p.name)).toEqual(["time"]);
    const plugins = (await (await fetch(`${shimmy.url}/api/plugins`)).json()) as { data: Array<{ name: string; status: string }> };
    expect(plugins.data.map(({ name, status }) => ({ name, status }))).toEqual([{ name: "time", status: "ready" }]);
  });

  // shimmy-plugin test compiles the plugin (AssemblyScript, from the SDK's own dependencies) and runs
  // its examples in the plugin host of the core installed beside it: about 8 s of CPU.
  it("makes a plugin with the installed shimmy-plugin, and builds and tests it with the installed core's host", async () => {
    expect((await installed("shimmy-plugin", ["--help"], elsewhere)).stdout).toMatch(/^Usage: shimmy-plugin/);
    await installed("shimmy-plugin", ["init", "hello-tool"], elsewhere, env);
    const tested = await installed("shimmy-plugin", ["test"], path.join(elsewhere, "hello-tool"), env);
    expect(tested.stdout).toMatch(/^hello-tool: 1 of 1 examples passed$/m);
    expect(fs.existsSync(path.join(elsewhere, "hello-tool/plugin.wasm"))).toBe(true);
  }, 120_000);
});
