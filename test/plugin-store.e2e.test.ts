/**
 * The plugin store end to end: `shimmy plugin …` in its own process changes `$SHIMMY_HOME`, and the
 * running server picks up each change without a restart. Real packages, built from `plugins/` once
 * per run; hostile packages written byte by byte.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { packedPlugin } from "../scripts/first-party-plugins.js";
import type { PluginSummary } from "../core/src/plugins/installed-plugins.js";
import { pluginCli, pluginCommandHere, spawnPluginCli } from "./helpers/plugin-cli.js";
import { adminApi, waitForPlugins } from "./helpers/plugins-api.js";
import { gzipWithZeros, rawTarball } from "./helpers/raw-tar.js";
import { packTestPlugin } from "./helpers/test-plugin-package.js";
import { checkStoreConsistent, lockedFolder } from "./helpers/store-check.js";
import { expectUnaffected, othersKeepAnswering, warmUp, type Bystanders } from "./helpers/others-keep-answering.js";
import { ROOT, startShimmy, type ShimmyProcess } from "./helpers/shimmy-process.js";

let shimmy: ShimmyProcess;
let work: string;
let store: string;
const DEMO_MODEL = path.join(ROOT, "models/stories260K.gguf");

const api = (pathname: string, body?: unknown) => adminApi(shimmy.url, pathname, body);
const serverSees = (ready: (plugins: PluginSummary[]) => boolean) => waitForPlugins(shimmy.url, ready);

function storeSnapshot(): string {
  const lock = fs.existsSync(path.join(store, "plugins.lock.json")) ? fs.readFileSync(path.join(store, "plugins.lock.json"), "utf8") : "(none)";
  const files = fs.existsSync(path.join(store, "plugins")) ? fs.readdirSync(path.join(store, "plugins"), { recursive: true }).map(String).filter((f) => !f.startsWith(".staging")).sort() : [];
  return JSON.stringify({ lock, files });
}

function copySource(name: string, as: string, edit?: (manifest: any) => void): string {
  const dir = path.join(work, as);
  fs.cpSync(path.join(ROOT, "plugins", name), dir, { recursive: true, filter: (src) => !src.endsWith(".tgz") && !src.endsWith("plugin.wasm") });
  if (edit) {
    const file = path.join(dir, "shimmy-plugin.json");
    const manifest = JSON.parse(fs.readFileSync(file, "utf8"));
    edit(manifest);
    fs.writeFileSync(file, JSON.stringify(manifest, null, 2));
  }
  return dir;
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "shimmy-store-test-"));
  shimmy = await startShimmy({ args: ["--model", DEMO_MODEL, "--no-discovery"] });
  store = path.join(shimmy.home, ".shimmy");
});

afterAll(async () => {
  await shimmy?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe("shimmy plugin install", () => {
  it("shows what the plugin may reach and asks; no answer or 'n' installs nothing", async () => {
    const calculator = packedPlugin(inject("firstPartyPlugins"), "calculator");
    for (const input of ["", "n\n"]) {
      const run = await pluginCli(shimmy.home, ["install", calculator.tgz], input);
      expect(run.code).toBe(1);
      expect(run.stdout).toContain("calculator 1.0.0: Exact decimal arithmetic");
      expect(run.stdout).toContain("It may reach:\n  nothing: no network, no files");
      expect(run.stdout).toContain("Install calculator 1.0.0? [y/N]");
      expect(run.stderr).toContain("calculator was not installed");
    }
    expect(fs.existsSync(path.join(store, "plugins.lock.json"))).toBe(false);
  });

  it("installs a .tgz on 'y'; the running server lists it and runs its tool without a restart", async () => {
    const calculator = packedPlugin(inject("firstPartyPlugins"), "calculator");
    const run = await pluginCli(shimmy.home, ["install", calculator.tgz], "y\n");
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`Installed calculator 1.0.0 (${calculator.integrity})`);
    const lock = JSON.parse(fs.readFileSync(path.join(store, "plugins.lock.json"), "utf8"));
    expect(lock.plugins.calculator).toMatchObject({ version: "1.0.0", integrity: calculator.integrity, wasmSha256: calculator.wasmSha256, source: calculator.tgz, enabled: true, config: {} });
    expect(lock.plugins.calculator.dir).toMatch(/^1\.0\.0-[0-9a-f]{8}$/);
    expect(fs.readdirSync(lockedFolder(store, "calculator")).sort()).toEqual(["README.md", "package.json", "plugin.wasm", "shimmy-plugin.json"]);

    const plugins = await serverSees((p) => p.some((x) => x.name === "calculator" && x.status === "ready"));
    expect(plugins.find((p) => p.name === "calculator")?.tools).toMatchObject([{ name: "calculate", function_name: "calculator__calculate" }]);
    expect(await api("/api/tools/call", { name: "calculate", arguments: { expression: "0.1+0.2" } })).toEqual({ status: 200, json: { result: { result: "0.3" } } });
    expect(await api("/api/tools/call", { name: "calculator__calculate", plugin: "calculator", arguments: { expression: "2^64" } })).toEqual({
      status: 200,
      json: { result: { result: "18446744073709551616" } },
    });
  });

  it("lists and describes what is installed, as text and JSON", async () => {
    // Commands that only read: they run side by side (one skips clearing up while another does).
    const [list, listJson, info, nope] = await Promise.all([["list"], ["list", "--json"], ["info", "calculator"], ["info", "nope"]].map((args) => pluginCli(shimmy.home, args)));
    expect(list!.stdout).toMatch(/^NAME\s+VERSION\s+STATE\s+TOOLS\s+STEPS\s+EMBEDDERS\ncalculator\s+1\.0\.0\s+enabled\s+calculate\s+-\s+-\n$/);
    const json = JSON.parse(listJson!.stdout);
    expect(json).toMatchObject([{ name: "calculator", version: "1.0.0", enabled: true, tools: ["calculate"] }]);
    expect(info!.stdout).toContain("calculate (Calculator): Evaluates an arithmetic expression exactly.");
    expect(nope!.stderr).toContain("no plugin named nope is installed");
  });

  it("answers tool calls that cannot be made in OpenAI's error shape, and keeps serving", async () => {
    expect(await api("/api/tools/call", { name: "calculate", arguments: { expr: "1" } })).toMatchObject({
      status: 400,
      json: { error: { code: "invalid_parameter", param: "arguments", message: expect.stringContaining("required property 'expression'") } },
    });
    expect(await api("/api/tools/call", { name: "calculate", arguments: { expression: "1/" } })).toMatchObject({
      status: 502,
      json: { error: { code: "tool_failed", type: "server_error", message: expect.stringContaining("unexpected end of expression") } },
    });
    expect(await api("/api/tools/call", { name: "nope", arguments: {} })).toMatchObject({ status: 404, json: { error: { code: "tool_not_found", param: "name" } } });
    expect(await api("/api/tools/call", { name: "calculate", plugin: "nope", arguments: {} })).toMatchObject({ status: 404, json: { error: { code: "plugin_not_found" } } });
    expect(await api("/api/tools/call", { name: "calculate", arguments: [] })).toMatchObject({ status: 400, json: { error: { param: "arguments" } } });
    expect(await api("/api/tools/call", { arguments: {} })).toMatchObject({ status: 400, json: { error: { param: "name" } } });
    expect((await api("/api/tools/call", { name: "calculate", arguments: { expression: "6*7" } })).json).toEqual({ result: { result: "42" } });
  });

  it("installs from a source folder, and needs `plugin` when two plugins share a tool name (409 naming both)", async () => {
    const dir = copySource("calculator", "calculator-copy", (m) => {
      m.name = "calculator-copy";
      m.config = { type: "object", properties: { token: { type: "string", writeOnly: true }, note: { type: "string" } } };
    });
    const run = await pluginCli(shimmy.home, ["install", dir, "--yes"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(`building ${dir}`);
    await serverSees((p) => p.some((x) => x.name === "calculator-copy" && x.status === "ready"));
    expect(await api("/api/tools/call", { name: "calculate", arguments: { expression: "1+1" } })).toMatchObject({
      status: 409,
      json: { error: { code: "ambiguous_tool", message: expect.stringContaining("calculator, calculator-copy") } },
    });
    expect(await api("/api/tools/call", { name: "calculate", plugin: "calculator-copy", arguments: { expression: "1+1" } })).toEqual({ status: 200, json: { result: { result: "2" } } });
    expect((await api("/api/tools/call", { name: "calculator-copy__calculate", arguments: { expression: "3" } })).json).toEqual({ result: { result: "3" } });
  });

  it("keeps writeOnly settings in secrets.json (mode 0600), never in the lock file or the API", async () => {
    fs.writeFileSync(path.join(store, "secrets.json"), JSON.stringify({ apiKey: "server-key" }), { mode: 0o600 });
    const run = await pluginCli(shimmy.home, ["config", "calculator-copy", "token=s3cret", "note=hello"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).not.toContain("s3cret");
    const secrets = JSON.parse(fs.readFileSync(path.join(store, "secrets.json"), "utf8"));
    expect(secrets).toEqual({ apiKey: "server-key", plugins: { "calculator-copy": { token: "s3cret" } } });
    expect(fs.statSync(path.join(store, "secrets.json")).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(path.join(store, "plugins.lock.json"), "utf8")).not.toContain("s3cret");
    const plugin = (await serverSees((p) => p.find((x) => x.name === "calculator-copy")?.config.note === "hello")).find((x) => x.name === "calculator-copy") as any;
    expect(plugin).toMatchObject({ config: { note: "hello" }, secrets_set: ["token"], status: "ready" });
    expect(JSON.stringify(plugin)).not.toContain("s3cret");
    expect((await pluginCli(shimmy.home, ["info", "calculator-copy"])).stdout).toContain("token = (secret, set)");
  });

  it("disables, enables and removes, and the server follows each change", async () => {
    expect((await pluginCli(shimmy.home, ["disable", "calculator-copy"])).code).toBe(0);
    await serverSees((p) => p.find((x) => x.name === "calculator-copy")?.status === "disabled");
    expect(await api("/api/tools/call", { name: "calculate", plugin: "calculator-copy", arguments: { expression: "1" } })).toMatchObject({
      status: 409,
      json: { error: { code: "plugin_unavailable", message: expect.stringContaining("shimmy plugin enable calculator-copy") } },
    });
    // With one of the two disabled, the name is no longer ambiguous.
    expect((await api("/api/tools/call", { name: "calculate", arguments: { expression: "2*2" } })).json).toEqual({ result: { result: "4" } });
    expect((await pluginCli(shimmy.home, ["enable", "calculator-copy"])).code).toBe(0);
    await serverSees((p) => p.find((x) => x.name === "calculator-copy")?.status === "ready");

    const removed = await pluginCli(shimmy.home, ["remove", "calculator-copy"]);
    expect(removed.stdout).toBe("Removed calculator-copy 1.0.0\n");
    await serverSees((p) => !p.some((x) => x.name === "calculator-copy"));
    expect(fs.existsSync(path.join(store, "plugins/calculator-copy"))).toBe(false);
    expect(JSON.parse(fs.readFileSync(path.join(store, "secrets.json"), "utf8"))).toEqual({ apiKey: "server-key" });
    expect(await api("/api/tools/call", { name: "calculate", plugin: "calculator-copy", arguments: { expression: "1" } })).toMatchObject({ status: 404 });
    expect((await pluginCli(shimmy.home, ["remove", "calculator-copy"])).code).toBe(1);
  });
});

describe("hostile and broken packages", () => {
  const manifest = () => fs.readFileSync(path.join(ROOT, "plugins/calculator/shimmy-plugin.json"));
  const good = () => [
    { name: "package/package.json", body: JSON.stringify({ name: "calculator", version: "1.0.0" }) },
    { name: "package/shimmy-plugin.json", body: manifest() },
    { name: "package/README.md", body: "# evil" },
  ];

  it.each([
    ["a '..' path", { name: "package/../../../escaped.txt", body: "pwned" }, "has a '..' segment"],
    ["an absolute path", { name: "/tmp/shimmy-escaped.txt", body: "pwned" }, "has an absolute path"],
    ["a symlink", { name: "package/plugin.wasm", type: "2" as const, linkname: "/etc/passwd" }, "is a SymbolicLink"],
  ])("refuses a tarball with %s and leaves the store as it was", async (_what, bad, message) => {
    const before = storeSnapshot();
    const file = path.join(work, `evil-${createHash("sha1").update(String(message)).digest("hex").slice(0, 6)}.tgz`);
    fs.writeFileSync(file, rawTarball([...good(), bad]));
    const run = await pluginCli(shimmy.home, ["install", file, "--yes"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(message);
    expect(run.stderr).toContain("refusing the whole package");
    expect(storeSnapshot()).toBe(before);
    expect(fs.existsSync("/tmp/shimmy-escaped.txt")).toBe(false);
    expect(fs.existsSync(path.join(store, "../../escaped.txt"))).toBe(false);
  });

  it("refuses a package whose manifest breaks the schema, or whose names disagree, with the store unchanged", async () => {
    const before = storeSnapshot();
    const wasm = fs.readFileSync(path.join(packedPlugin(inject("firstPartyPlugins"), "calculator").dir, "plugin.wasm"));
    const bad = JSON.parse(manifest().toString());
    bad.capabilities[0].name = "not a valid name!";
    const cases: [string, Buffer, string][] = [
      ["bad-manifest", rawTarball([...good().filter((e) => !e.name.endsWith("shimmy-plugin.json")), { name: "package/shimmy-plugin.json", body: JSON.stringify(bad) }, { name: "package/plugin.wasm", body: wasm }]), "is not a valid manifest"],
      ["mismatch", rawTarball([{ name: "package/package.json", body: JSON.stringify({ name: "other", version: "1.0.0" }) }, ...good().slice(1), { name: "package/plugin.wasm", body: wasm }]), "package/package.json says other@1.0.0"],
      ["no-wasm", rawTarball(good()), "the package lacks package/plugin.wasm"],
      [
        "future-core",
        rawTarball([...good().filter((e) => !e.name.endsWith("shimmy-plugin.json")), { name: "package/shimmy-plugin.json", body: JSON.stringify({ ...JSON.parse(manifest().toString()), shimmy: ">=9.0.0" }) }, { name: "package/plugin.wasm", body: wasm }]),
        "calculator@1.0.0 supports Shimmy >=9.0.0; this is Shimmy 0.1.0",
      ],
    ];
    for (const [name, bytes, message] of cases) {
      const file = path.join(work, `${name}.tgz`);
      fs.writeFileSync(file, bytes);
      const run = await pluginCli(shimmy.home, ["install", file, "--yes"]);
      expect(run.code, name).toBe(1);
      expect(run.stderr).toContain(message);
    }
    expect(storeSnapshot()).toBe(before);
  });

  it("installs only a plugin's own files from a package holding others", async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "shimmy-store-extra-"));
    try {
      const wasm = fs.readFileSync(path.join(packedPlugin(inject("firstPartyPlugins"), "calculator").dir, "plugin.wasm"));
      const file = path.join(work, "extras.tgz");
      const extras = [
        { name: "package/LICENSE", body: "MIT" },
        { name: "package/index.js", body: "require('child_process')" },
        { name: "package/docs/notes.md", body: "notes" },
        { name: "package/.npmrc", body: "registry=http://evil" },
      ];
      fs.writeFileSync(file, rawTarball([...good(), { name: "package/plugin.wasm", body: wasm }, ...extras]));
      const run = await pluginCli(home, ["install", file, "--yes"]);
      expect(run.code, run.stderr).toBe(0);
      expect(fs.readdirSync(lockedFolder(path.join(home, ".shimmy"), "calculator")).sort()).toEqual(["LICENSE", "README.md", "package.json", "plugin.wasm", "shimmy-plugin.json"]);
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });

  it("refuses to load a plugin.wasm modified after install, and says so", async () => {
    const wasmFile = path.join(lockedFolder(store, "calculator"), "plugin.wasm");
    const original = fs.readFileSync(wasmFile);
    const tampered = Buffer.from(original);
    tampered.writeUInt8(tampered.readUInt8(tampered.length - 1) ^ 0xff, tampered.length - 1);
    fs.writeFileSync(wasmFile, tampered);
    try {
      // A reload of the plugin (here: disable, then enable) loads it again from disk.
      await pluginCli(shimmy.home, ["disable", "calculator"]);
      await serverSees((p) => p.find((x) => x.name === "calculator")?.status === "disabled");
      await pluginCli(shimmy.home, ["enable", "calculator"]);
      const plugins = await serverSees((p) => p.find((x) => x.name === "calculator")?.status === "error");
      expect(plugins.find((x) => x.name === "calculator")?.error).toContain("was modified after install; refusing to load it. Reinstall calculator.");
      expect(await api("/api/tools/call", { name: "calculate", arguments: { expression: "1" } })).toMatchObject({
        status: 409,
        json: { error: { code: "plugin_unavailable", message: expect.stringContaining("does not match its sha256 in the lock file") } },
      });
    } finally {
      fs.writeFileSync(wasmFile, original);
    }
    expect((await pluginCli(shimmy.home, ["disable", "calculator"])).code).toBe(0);
    expect((await pluginCli(shimmy.home, ["enable", "calculator"])).code).toBe(0);
    await serverSees((p) => p.find((x) => x.name === "calculator")?.status === "ready");
  });

  it("survives kill -9 at any point of an install: the store stays readable and the next install works", async () => {
    const calculator = packedPlugin(inject("firstPartyPlugins"), "calculator");
    const copy = path.join(work, "calculator-again.tgz");
    fs.copyFileSync(calculator.tgz, copy);
    for (const delayMs of [5, 60, 120, 200, 300]) {
      const child = spawnPluginCli(shimmy.home, ["install", copy, "--yes"]);
      const closed = new Promise((r) => child.once("close", r));
      await new Promise((r) => setTimeout(r, delayMs));
      child.kill("SIGKILL");
      await closed;
      // The next command, that clears up after the kill: the CLI's code, in this process (the
      // kill is what needs a process); the install after the loop runs as one.
      const list = await pluginCommandHere(shimmy.home, ["list", "--json"]);
      expect(list.code, `after a kill at ${delayMs} ms: ${list.stderr}`).toBe(0);
      checkStoreConsistent(store);
    }
    const again = await pluginCli(shimmy.home, ["install", copy, "--yes"]);
    expect(again.code, again.stderr).toBe(0);
    expect(fs.readdirSync(path.join(store, "plugins/.staging"))).toEqual([]);
    expect(fs.readdirSync(path.join(store, "plugins/calculator"))).toEqual([path.basename(lockedFolder(store, "calculator"))]);
    expect(fs.existsSync(path.join(store, "plugins.lock.json.guard"))).toBe(false);
    await serverSees((p) => p.find((x) => x.name === "calculator")?.status === "ready");
    expect((await api("/api/tools/call", { name: "calculate", arguments: { expression: "9*9" } })).json).toEqual({ result: { result: "81" } });
  });
});

describe("plugins that hang or flood (issue 18)", () => {
  // A server of its own: these tests stop it with SIGTERM and restart one on its store.
  let server: ShimmyProcess;
  let home: string;
  let tgz: { startSpin: string; initSpin: string; timeBomb: string };
  /**
   * The start deadline these tests wait out (the test hook SHIMMY_TEST_PLUGIN_START_MS, for the
   * server and the CLI): shorter than the real 5 s, so that each hang costs less, and long enough for
   * a plugin that does start to start on a loaded machine.
   */
  const START_MS = 3000;
  const hook = { SHIMMY_TEST_PLUGIN_START_MS: String(START_MS) };
  const call = (body: unknown, url = server.url) => adminApi(url, "/api/tools/call", body);
  const limits = { memoryMaxPages: 64, timeoutMs: 1000, maxResponseBytes: 65536 };
  const manifest = (name: string, tools: string[], extra: object = {}) => ({
    name,
    version: "1.0.0",
    description: "test plugin",
    shimmy: "*",
    capabilities: tools.map((t) => ({ kind: "tool", name: t, export: t, description: t, inputSchema: { type: "object" } })),
    limits,
    ...extra,
  });

  /** A chat completion and the calculator, called until `during` settles: a hostile plugin must hold up neither. */
  const bystanders = (during: Promise<unknown>) => othersKeepAnswering(server.url, "stories260K", during);

  /** Records what an attack cost: the error its caller saw, the time to it, and the bystanders' slowest answers. */
  function report(attack: string, started: number, error: string, seen: Bystanders): void {
    const line = { attack, error: error.trim().split("\n").at(-1), ms: Date.now() - started, ...seen };
    fs.mkdirSync(path.join(ROOT, "test-results"), { recursive: true });
    fs.appendFileSync(path.join(ROOT, "test-results/sandbox-attacks.jsonl"), `${JSON.stringify(line)}\n`);
  }

  beforeAll(async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "shimmy-hang-test-"));
    // The server starts while the test plugins compile.
    const starting = startShimmy({ args: ["--model", DEMO_MODEL, "--no-discovery"], env: hook });
    try {
      // Packed together: one compiler process for the three.
      const [startSpin, initSpin, timeBomb] = await Promise.all([
        packTestPlugin("start-spin", manifest("start-spin", ["ok"]), dir),
        packTestPlugin("init-spin", manifest("init-spin", ["ok"]), dir),
        packTestPlugin("time-bomb", manifest("time-bomb", ["ok", "trap", "loop"], { config: { type: "object", properties: { bomb_at: { type: "string" } } } }), dir),
      ]);
      tgz = { startSpin, initSpin, timeBomb };
    } finally {
      server = await starting;
    }
    home = server.home;
    // Set-up, not under test: the install command run in this process.
    for (const file of [packedPlugin(inject("firstPartyPlugins"), "calculator").tgz, tgz.timeBomb]) {
      const run = await pluginCommandHere(home, ["install", file, "--yes"]);
      expect(run.code, run.stderr).toBe(0);
    }
    await waitForPlugins(server.url, (p) => p.filter((x) => x.status === "ready").length === 2);
    // Loads the model now, so the bystanders' first chat completion does not count its load.
    await warmUp(server.url, "stories260K");
  });

  afterAll(async () => {
    await server?.stop();
    if (tgz) fs.rmSync(path.dirname(tgz.startSpin), { recursive: true, force: true });
  });

  it("refuses to install a plugin whose start function never returns, at the start deadline, with the store unchanged", async () => {
    const lock = fs.readFileSync(path.join(home, ".shimmy/plugins.lock.json"), "utf8");
    const started = Date.now();
    const install = pluginCli(home, ["install", tgz.startSpin, "--yes"], "", 30_000, hook);
    const seen = await bystanders(install);
    const run = await install;
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`package/plugin.wasm is refused: the plugin did not finish instantiating within ${START_MS} ms`);
    report("start function that never returns (install)", started, run.stderr, seen);
    expect(Date.now() - started).toBeLessThan(20_000);
    expectUnaffected(seen);
    expect(fs.readFileSync(path.join(home, ".shimmy/plugins.lock.json"), "utf8")).toBe(lock);
  });

  it("refuses to install a plugin whose hs_init never returns, at the start deadline, with the store unchanged", async () => {
    const lock = fs.readFileSync(path.join(home, ".shimmy/plugins.lock.json"), "utf8");
    const started = Date.now();
    const install = pluginCli(home, ["install", tgz.initSpin, "--yes"], "", 30_000, hook);
    const seen = await bystanders(install);
    const run = await install;
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`package/plugin.wasm is refused: the plugin did not finish instantiating within ${START_MS} ms`);
    report("hs_init that never returns (install)", started, run.stderr, seen);
    expect(Date.now() - started).toBeLessThan(20_000);
    expectUnaffected(seen);
    expect(fs.readFileSync(path.join(home, ".shimmy/plugins.lock.json"), "utf8")).toBe(lock);
  });

  it("refuses a gzip bomb (100 MB of zeros in a 97 KB .tgz) with the store unchanged, while others are served", async () => {
    // It used to keep install busy for minutes, holding the store lock: the parser concatenated
    // everything after the archive's end.
    const lock = fs.readFileSync(path.join(home, ".shimmy/plugins.lock.json"), "utf8");
    const bomb = path.join(path.dirname(tgz.startSpin), "zeros.tgz");
    fs.writeFileSync(bomb, await gzipWithZeros(new Uint8Array(0), 100_000_000));
    const started = Date.now();
    const install = pluginCli(home, ["install", bomb, "--yes"], "", 20_000);
    const seen = await bystanders(install);
    const run = await install;
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("the package has data after the end of its tar archive; refusing the whole package");
    report("gzip bomb (install)", started, run.stderr, seen);
    expectUnaffected(seen);
    expect(fs.readFileSync(path.join(home, ".shimmy/plugins.lock.json"), "utf8")).toBe(lock);
  });

  it("ends 40 concurrent spinning calls near timeoutMs, answers plugin_busy (503) past the queue's cap, and other plugins keep answering", async () => {
    const started = Date.now();
    // 2 instances and a queue of 32: of 40 calls at once, 6 are refused at once.
    const flood = Promise.all(Array.from({ length: 40 }, () => call({ name: "loop", arguments: {} })));
    const seen = await bystanders(flood);
    const answers = await flood;
    report("40 concurrent spinning calls (queue cap 32, 2 instances)", started, JSON.stringify(answers.at(-1)?.json), seen);
    expect(Date.now() - started).toBeLessThan(8000); // before: the last of them answered after 40 / 2 × 1 s
    const codes = answers.map((a) => `${a.status} ${a.json.error?.code}`);
    expect(codes.filter((c) => c === "503 plugin_busy")).toHaveLength(6);
    expect(codes.filter((c) => c === "504 tool_timeout")).toHaveLength(34);
    expectUnaffected(seen);
    expect(await call({ name: "ok", arguments: {} })).toEqual({ status: 200, json: { result: { value: 1 } } });
  });

  it("marks a plugin whose instances stop coming up as failed (API, /health); its disable, other plugins and a restart never wait for it", async () => {
    // The time bomb goes off: from now on its start function spins, and the server reloads it.
    expect((await pluginCli(home, ["config", "time-bomb", `bomb_at=${Date.now()}`])).code).toBe(0);
    const bombed = Date.now();
    const failed = waitForPlugins(server.url, (p) => p.find((x) => x.name === "time-bomb")?.status === "error", 20_000);
    const seen = await bystanders(failed);
    expectUnaffected(seen);
    const plugin = (await failed).find((x) => x.name === "time-bomb");
    report("time bomb in the start function (reload)", bombed, String(plugin?.error), seen);
    expect(plugin?.error).toContain(`did not finish instantiating within ${START_MS} ms`);
    expect(await call({ name: "ok", arguments: {} })).toMatchObject({ status: 409, json: { error: { code: "plugin_unavailable", message: expect.stringContaining("did not finish instantiating") } } });
    const health = await adminApi(server.url, "/health");
    expect(health.json.plugins).toEqual({ ready: 1, failed: [{ name: "time-bomb", error: expect.stringContaining("did not finish instantiating") }] });
    // The CLI reads the store, and the server's record of what it cannot run beside it.
    expect((await pluginCli(home, ["list"])).stdout).toMatch(/\ntime-bomb\s+1\.0\.0\s+error\s+ok,trap,loop\s+-\s+-\n/);
    const listed = JSON.parse((await pluginCli(home, ["list", "--json"])).stdout) as { name: string; status?: string; error?: string }[];
    expect(listed.find((p) => p.name === "time-bomb")).toMatchObject({ status: "error", error: expect.stringContaining("did not finish instantiating") });
    expect(listed.find((p) => p.name === "calculator")?.status).toBeUndefined();

    // A restart on the same store listens (the hanging load costs it one start deadline) and says why.
    const started = Date.now();
    const again = await startShimmy({ args: ["--no-discovery"], home, env: hook, timeoutMs: 30_000 });
    try {
      expect(Date.now() - started).toBeLessThan(25_000);
      const plugins = (await adminApi(again.url, "/api/plugins")).json.data as PluginSummary[];
      expect(plugins.map((p) => [p.name, p.status])).toEqual([["calculator", "ready"], ["time-bomb", "error"]]);
      expect(await call({ name: "calculate", arguments: { expression: "2+2" } }, again.url)).toEqual({ status: 200, json: { result: { result: "4" } } });
    } finally {
      // SIGTERM while nothing hangs; the next test stops a server in the middle of a hanging load.
      await again.stop();
    }

    // Disabling it while a reload waits on its start: the server follows, other calls never wait.
    expect((await pluginCli(home, ["config", "time-bomb", `bomb_at=${Date.now() + 1}`])).code).toBe(0);
    await new Promise((r) => setTimeout(r, 300));
    expect((await pluginCli(home, ["disable", "time-bomb"])).code).toBe(0);
    const disabled = waitForPlugins(server.url, (p) => p.find((x) => x.name === "time-bomb")?.status === "disabled", 20_000);
    expectUnaffected(await bystanders(disabled));
    await disabled;
  });

  it("shuts down on SIGTERM in the middle of a plugin's hanging start", async () => {
    expect((await pluginCli(home, ["enable", "time-bomb"])).code).toBe(0);
    await new Promise((r) => setTimeout(r, 500)); // the reload is now waiting on the start function
    const started = Date.now();
    await server.stop();
    expect(Date.now() - started).toBeLessThan(START_MS - 1000); // waiting out the start would take longer
    expect(server.child.signalCode).not.toBe("SIGKILL");
  });
});
