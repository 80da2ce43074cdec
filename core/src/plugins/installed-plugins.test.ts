import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { InstalledPlugins } from "./installed-plugins.js";
import { installedDir, storeLayout, type StoreLayout } from "./store/layout.js";
import { readLock, writeLock } from "./store/lock-file.js";
import { compileTestPlugin, installTestPlugin, testManifest, testStep, testTool } from "./test-plugins.fixture.js";

let work: string;
let echoWasm: Uint8Array;
let layout: StoreLayout;
let plugins: InstalledPlugins;
const lines: Record<string, unknown>[] = [];
const logger = {
  info: (obj: object) => void lines.push(obj as Record<string, unknown>),
  warn: () => {},
  debug: () => {},
  error: () => {},
};

const ECHO_TOOLS = [testTool("echo", { inputSchema: { type: "object", properties: { text: { type: "string" } }, required: ["text"] } })];
const echoManifest = (name: string) => testManifest(name, ECHO_TOOLS);

/** Polls until `check` passes: the store watcher reloads on its own, a little after a write. */
async function eventually(check: () => void, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), "shimmy-installed-"));
  echoWasm = await compileTestPlugin("echo", work, "echo", 32);
});

afterAll(() => rm(work, { recursive: true, force: true }));

beforeEach(async () => {
  layout = storeLayout(await mkdtemp(path.join(work, "home-")), work);
  plugins = new InstalledPlugins({ layout, logger, poolSize: 1 });
});

afterEach(() => plugins.dispose());

describe("InstalledPlugins", () => {
  it("loads the enabled plugins of the store and calls their tools, the audit line carrying the request id", async () => {
    await installTestPlugin(layout, echoManifest("echo"), echoWasm);
    await plugins.start([{ host: "127.0.0.1", port: 1 }]);
    expect(plugins.list()).toMatchObject([{ name: "echo", status: "ready", tools: [{ name: "echo", function_name: "echo__echo" }] }]);
    expect(plugins.health()).toEqual({ ready: 1, failed: [] });
    expect(plugins.applied()).toMatchObject({ generation: 1, storeId: expect.stringMatching(/^[0-9a-f]{16}$/) });
    await expect(plugins.callTool({ name: "echo", arguments: { text: "hi" } }, { requestId: "req_test1" })).resolves.toEqual({ text: "hi" });
    expect(lines.find((l) => l.event === "plugin_call" && l.requestId === "req_test1")).toMatchObject({ plugin: "echo", tool: "echo", outcome: "ok" });
    await expect(plugins.callTool({ name: "echo__echo", arguments: {} })).rejects.toMatchObject({ code: "invalid_parameter", param: "arguments" });
  });

  it("calls a plugin's workflow steps by name, lists them beside its tools, and answers each failure with its step code", async () => {
    // The echo export as two steps: one whose output schema any echo meets, one whose output schema none can.
    const words = { type: "object", properties: { words: { type: "array", items: { type: "string" } } }, required: ["words"], additionalProperties: false };
    const steps = [testStep("split", { export: "echo", description: "splits", input: words, output: words, annotations: { idempotentHint: true } }), testStep("broken", { export: "echo", output: { type: "string" } })];
    await installTestPlugin(layout, testManifest("texty", [...ECHO_TOOLS, ...steps]), echoWasm);
    await installTestPlugin(layout, testManifest("other", [testStep("broken", { export: "echo" })]), echoWasm);
    await plugins.start([]);
    const [other, texty] = plugins.list();
    expect(texty).toMatchObject({ name: "texty", tools: [{ name: "echo" }], steps: [{ name: "split", description: "splits", input: words, output: words, annotations: { idempotentHint: true } }, { name: "broken", description: "broken", input: true, output: { type: "string" } }] });
    expect(other?.steps).toEqual([{ name: "broken", description: "broken", input: true, output: true }]);

    await expect(plugins.callStep({ name: "split", input: { words: ["a", "b"] } }, { requestId: "req_step1" })).resolves.toEqual({ words: ["a", "b"] });
    expect(lines.find((l) => l.event === "plugin_call" && l.requestId === "req_step1")).toMatchObject({ plugin: "texty", step: "split", outcome: "ok" });
    await expect(plugins.callStep({ name: "broken", plugin: "other", input: [1, 2] })).resolves.toEqual([1, 2]);

    const failure = (request: { name: string; plugin?: string; input: unknown }) => plugins.callStep(request).then(() => "ok", (e: { code: string; status: number; param: string | null; message: string }) => e);
    expect(await failure({ name: "split", input: { words: "a b" } })).toMatchObject({ code: "invalid_parameter", status: 400, param: "input" });
    expect(await failure({ name: "broken", plugin: "texty", input: 42 })).toMatchObject({ code: "step_failed", status: 502, message: expect.stringContaining("output schema") });
    expect(await failure({ name: "broken", input: "x" })).toMatchObject({ code: "ambiguous_step", status: 409, param: "plugin", message: expect.stringMatching(/2 plugins have a step named broken: (texty, other|other, texty);/) });
    expect(await failure({ name: "echo", input: {} })).toMatchObject({ code: "step_not_found", status: 404 });
    expect(await failure({ name: "split", plugin: "nope", input: {} })).toMatchObject({ code: "plugin_not_found" });
    // A step is no tool: the tool call path does not find it.
    await expect(plugins.callTool({ name: "split", arguments: { words: [] } })).rejects.toMatchObject({ code: "tool_not_found" });

    const lock = await readLock(layout);
    await writeLock(layout, { ...lock, plugins: { ...lock.plugins, texty: { ...lock.plugins.texty!, enabled: false } } });
    await eventually(() => expect(plugins.list()[1]).toMatchObject({ name: "texty", status: "disabled" }));
    expect(await failure({ name: "split", input: { words: [] } })).toMatchObject({ code: "plugin_unavailable", message: expect.stringContaining("is disabled") });
    // With texty disabled, the other plugin's step of the same name is the one.
    await expect(plugins.callStep({ name: "broken", input: "y" })).resolves.toBe("y");
  });

  it("follows the store without being told: a plugin installed, then disabled, after the start", async () => {
    await plugins.start([]);
    expect(plugins.list()).toEqual([]);
    await installTestPlugin(layout, echoManifest("late"), echoWasm);
    await eventually(() => expect(plugins.list()).toMatchObject([{ name: "late", status: "ready" }]));
    await expect(plugins.callTool({ name: "echo", plugin: "late", arguments: { text: "x" } })).resolves.toEqual({ text: "x" });
    const lock = await readLock(layout);
    await writeLock(layout, { ...lock, plugins: { late: { ...lock.plugins.late!, enabled: false } } });
    await eventually(() => expect(plugins.list()).toMatchObject([{ name: "late", status: "disabled" }]));
    await expect(plugins.callTool({ name: "echo", arguments: { text: "x" } })).rejects.toMatchObject({ code: "plugin_unavailable", message: expect.stringContaining("is disabled") });
    expect(plugins.applied().generation).toBe(2);
  });

  it("lists a plugin whose wasm changed after install with why, refuses it, and records it in plugin-status.json until disposed", async () => {
    await installTestPlugin(layout, echoManifest("tampered"), echoWasm);
    const lock = await readLock(layout);
    await writeFile(path.join(installedDir(layout, "tampered", lock.plugins.tampered!), "plugin.wasm"), new Uint8Array([0, 97, 115, 109]));
    await plugins.start([]);
    const [listed] = plugins.list();
    expect(listed).toMatchObject({ name: "tampered", status: "error", error: expect.stringContaining("does not match its sha256"), tools: [{ name: "echo" }] });
    expect(plugins.health().failed).toMatchObject([{ name: "tampered" }]);
    await expect(plugins.callTool({ name: "echo", arguments: { text: "x" } })).rejects.toMatchObject({ code: "plugin_unavailable", message: expect.stringContaining("could not be loaded") });
    await eventually(() => expect(existsSync(layout.statusFile)).toBe(true));
    expect(JSON.parse(await readFile(layout.statusFile, "utf8"))).toMatchObject({ failed: { tampered: { version: "1.0.0" } } });
    await plugins.dispose();
    expect(existsSync(layout.statusFile)).toBe(false);
  });

  it("refuses to load a plugin whose settings reach further than the user approved", async () => {
    const manifest = testManifest("reader", ECHO_TOOLS, {
      config: { type: "object", properties: { folder: { type: "string" } } },
      permissions: { fs: { read: ["{config.folder}"] } },
    });
    await installTestPlugin(layout, manifest, echoWasm, { config: { folder: "/etc" } });
    await plugins.start([]);
    expect(plugins.list()).toMatchObject([{ name: "reader", status: "error", error: expect.stringContaining("fs.read /etc, which was never approved") }]);
  });

  it("changes nothing on a reload of an unchanged store, and keeps serving", async () => {
    await installTestPlugin(layout, echoManifest("steady"), echoWasm);
    await plugins.start([]);
    const before = plugins.list();
    await plugins.reload();
    expect(plugins.list()).toEqual(before);
    await expect(plugins.callTool({ name: "echo", arguments: { text: "still" } })).resolves.toEqual({ text: "still" });
  });
});
