import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { HOST_LIMITS, instanceMemory } from "@shimmy/plugin-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PluginHost, workerCaps, type PluginHostOptions } from "./host.js";
import { checkModule } from "./module-check.js";
import { compileTestPlugin, testManifest, testStep, testTool } from "./test-plugins.fixture.js";
import { WORKER_RESOURCE_LIMITS, WorkerInstance } from "./worker-instance.js";

let work: string;
const wasm: Record<string, Uint8Array> = {};
const logLines: Record<string, unknown>[] = [];
const logger = {
  info: (obj: object) => logLines.push(obj as Record<string, unknown>),
  warn: () => {},
  debug: () => {},
};

const compile = (source: string, out: string, maxPages: number | null) => compileTestPlugin(source, work, out, maxPages);
const tool = testTool;
const manifest = testManifest;
const VALUE_SCHEMA = { type: "object", properties: { value: { type: "number" } }, required: ["value"] } as const;

const hosts: PluginHost[] = [];
async function load(options: Partial<PluginHostOptions> & Pick<PluginHostOptions, "manifest" | "wasm">): Promise<PluginHost> {
  const host = await PluginHost.load({ config: {}, home: work, serverAddresses: [{ host: "127.0.0.1", port: 1 }], logger, ...options });
  hosts.push(host);
  return host;
}

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), "shimmy-host-test-"));
  const built = await Promise.all([
    compile("echo", "echo", 32),
    compile("misbehave", "misbehave", 32),
    compile("http", "http", 32),
    compile("fs", "fs", 32),
    compile("echo", "nomax", null),
    compile("extism-http", "extism-http", 32),
    compile("bombs", "bombs", 32),
    compile("start-spin", "start-spin", 32),
    compile("init-spin", "init-spin", 32),
    compile("time-bomb", "time-bomb", 32),
  ]);
  [wasm.echo, wasm.misbehave, wasm.http, wasm.fs, wasm.nomax, wasm.extismHttp, wasm.bombs, wasm.startSpin, wasm.initSpin, wasm.timeBomb] = built;
});

afterAll(async () => {
  await Promise.all(hosts.map((h) => h.dispose()));
  if (work) await rm(work, { recursive: true, force: true });
});

describe("PluginHost: calls and limits", () => {
  const echoTools = [
    tool("echo", { inputSchema: { type: "object", properties: { text: { type: "string" } }, required: ["text"] }, outputSchema: { type: "object" } }),
    tool("big"),
  ];
  const misbehaveTools = ["loop", "grow", "trap", "badjson"].map((n) => tool(n)).concat([
    tool("wrongshape", { outputSchema: VALUE_SCHEMA }),
    tool("ok", { outputSchema: VALUE_SCHEMA }),
  ]);

  it("round-trips JSON through the plugin, non-ASCII included, and writes audit lines", async () => {
    const host = await load({ manifest: manifest("echo", echoTools), wasm: wasm.echo! });
    const input = { text: "grüße, 世界 🎉" };
    await expect(host.callTool("echo", input)).resolves.toEqual(input);
    const line = logLines.find((l) => l.plugin === "echo" && l.tool === "echo");
    expect(line).toMatchObject({ event: "plugin_call", outcome: "ok", bytesIn: Buffer.byteLength(JSON.stringify(input)) });
    expect(line?.bytesOut).toBe(line?.bytesIn);
    expect(typeof line?.ms).toBe("number");
  });

  it("refuses input that breaks the inputSchema before calling, and unknown tools", async () => {
    const host = await load({ manifest: manifest("echo2", echoTools), wasm: wasm.echo!, poolSize: 1 });
    await expect(host.callTool("echo", { text: 42 })).rejects.toMatchObject({ code: "invalid_input" });
    await expect(host.callTool("nope", {})).rejects.toMatchObject({ code: "unknown_tool" });
    expect(logLines.find((l) => l.plugin === "echo2" && l.outcome === "invalid_input")).toMatchObject({ bytesIn: 0, bytesOut: 0 });
  });

  it("refuses output over maxResponseBytes", async () => {
    const m = manifest("echo3", echoTools, { limits: { memoryMaxPages: 64, timeoutMs: 5000, maxResponseBytes: 2000 } });
    const host = await load({ manifest: m, wasm: wasm.echo!, poolSize: 1 });
    await expect(host.callTool("big", { pad: "x".repeat(100) })).rejects.toMatchObject({ code: "response_too_large" });
    await expect(host.callTool("big", { a: 1 })).resolves.toMatchObject({ items: expect.any(Array) });
  });

  it("runs 8 concurrent calls on a pool of 2", async () => {
    const host = await load({ manifest: manifest("echo4", echoTools), wasm: wasm.echo!, poolSize: 2 });
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => host.callTool("echo", { text: `call ${i}` })));
    expect(results).toEqual(Array.from({ length: 8 }, (_, i) => ({ text: `call ${i}` })));
  });

  it(`runs HOST_LIMITS.instancesPerPlugin (${HOST_LIMITS.instancesPerPlugin}) instances, as the manifest reference states: one more call than that waits`, async () => {
    expect(HOST_LIMITS.instancesPerPlugin).toBe(2);
    const m = manifest("instances", misbehaveTools, { limits: { memoryMaxPages: 64, timeoutMs: 1500, maxResponseBytes: 64 * 1024 } });
    const host = await load({ manifest: m, wasm: wasm.misbehave! }); // no poolSize: the default
    // One endless call holds one instance; a call beside it runs on the other.
    const first = host.callTool("loop", {}).catch((e: { code: string }) => e.code);
    await expect(host.callTool("ok", {})).resolves.toEqual({ value: 1 });
    expect(await first).toBe("timeout");
    // Three endless calls at once: two run on the two instances, the third waits in the queue, and
    // its deadline (counted from its arrival, as theirs) passes there, before any instance is free.
    const outcomes = await Promise.all(
      [1, 2, 3].map(() =>
        host.callTool("loop", {}).then(
          () => ({ code: "ok", waited: false }),
          (e: { code: string; message: string }) => ({ code: e.code, waited: /while waiting/.test(e.message) }),
        ),
      ),
    );
    expect(outcomes.map((o) => o.code)).toEqual(["timeout", "timeout", "timeout"]);
    expect(outcomes.filter((o) => o.waited), JSON.stringify(outcomes)).toHaveLength(1);
    await expect(host.callTool("ok", {})).resolves.toEqual({ value: 1 });
  });

  it("ends an endless call with timeout, fails traps, memory bombs and bad output alone, and keeps working", async () => {
    // The deadline counts from a call's arrival, so the call after a timeout or a trap also waits in
    // it for the replacement instance to start: on a loaded two-core machine that took over 500 ms.
    const m = manifest("misbehave", misbehaveTools, { limits: { memoryMaxPages: 64, timeoutMs: 2000, maxResponseBytes: 64 * 1024 } });
    const host = await load({ manifest: m, wasm: wasm.misbehave!, poolSize: 1 });
    const started = Date.now();
    // The call runs in a worker: the main thread's timers keep ticking while the plugin spins.
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 20);
    await expect(host.callTool("loop", {})).rejects.toMatchObject({ code: "timeout" });
    clearInterval(ticker);
    expect(Date.now() - started).toBeLessThan(8000);
    expect(ticks).toBeGreaterThan(5);
    await expect(host.callTool("ok", {})).resolves.toEqual({ value: 1 });
    // AssemblyScript traps when memory.grow fails at the module's maximum; the SDK reports the trap.
    await expect(host.callTool("grow", {})).rejects.toMatchObject({ code: "plugin_error" });
    await expect(host.callTool("ok", {})).resolves.toEqual({ value: 1 });
    await expect(host.callTool("trap", {})).rejects.toMatchObject({ code: "plugin_error", message: expect.stringContaining("unreachable") });
    await expect(host.callTool("ok", {})).resolves.toEqual({ value: 1 });
    await expect(host.callTool("badjson", {})).rejects.toMatchObject({ code: "invalid_output" });
    await expect(host.callTool("wrongshape", {})).rejects.toMatchObject({ code: "invalid_output", message: expect.stringContaining("outputSchema") });
    await expect(host.callTool("ok", {})).resolves.toEqual({ value: 1 });
    expect(logLines.filter((l) => l.plugin === "misbehave").map((l) => l.outcome)).toEqual([
      "timeout", "ok", "plugin_error", "ok", "plugin_error", "ok", "invalid_output", "invalid_output", "ok",
    ]);
  });

  it("cancels a running call through the signal", async () => {
    const m = manifest("misbehave2", misbehaveTools, { limits: { memoryMaxPages: 64, timeoutMs: 5000, maxResponseBytes: 64 * 1024 } });
    const host = await load({ manifest: m, wasm: wasm.misbehave!, poolSize: 1 });
    const controller = new AbortController();
    const call = host.callTool("loop", {}, { signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    await expect(call).rejects.toMatchObject({ code: "aborted" });
    await expect(host.callTool("ok", {})).resolves.toEqual({ value: 1 });
  });
});

describe("PluginHost: workflow steps", () => {
  // The echo export serves as a step under several schemas: what differs is only what the host checks.
  const echoSteps = [
    testStep("lines", { export: "echo", input: { type: "array", items: { type: "string" }, maxItems: 3 }, output: { type: "array", items: { type: "string" } } }),
    testStep("anything", { export: "echo" }),
    testStep("to_text", { export: "echo", output: { type: "string" } }),
  ];

  it("calls a step with any JSON input, checks both schemas, and writes its audit line", async () => {
    const host = await load({ manifest: manifest("steps", [tool("echo", { export: "echo" }), ...echoSteps]), wasm: wasm.echo!, poolSize: 1 });
    expect(host.stepNames).toEqual(["lines", "anything", "to_text"]);
    expect(host.toolNames).toEqual(["echo"]);
    await expect(host.callStep("lines", ["grüße", "世界"], { requestId: "req_step" })).resolves.toEqual(["grüße", "世界"]);
    expect(logLines.find((l) => l.requestId === "req_step")).toMatchObject({ event: "plugin_call", plugin: "steps", step: "lines", outcome: "ok", bytesIn: Buffer.byteLength('["grüße","世界"]') });
    await expect(host.callStep("anything", "plain text")).resolves.toBe("plain text");
    await expect(host.callStep("anything", null)).resolves.toBeNull();
    await expect(host.callStep("to_text", "ok")).resolves.toBe("ok");

    await expect(host.callStep("lines", ["a", "b", "c", "d"])).rejects.toMatchObject({ code: "invalid_input", message: expect.stringContaining("input schema") });
    await expect(host.callStep("anything", undefined)).rejects.toMatchObject({ code: "invalid_input", message: expect.stringContaining("missing") });
    await expect(host.callStep("to_text", { not: "text" })).rejects.toMatchObject({ code: "invalid_output", message: expect.stringContaining("output schema") });
    // Tools and steps are looked up apart: neither answers for the other.
    await expect(host.callStep("echo", {})).rejects.toMatchObject({ code: "unknown_step" });
    await expect(host.callTool("lines", {})).rejects.toMatchObject({ code: "unknown_tool" });
    await expect(host.callStep("anything", "x".repeat(64 * 1024))).rejects.toMatchObject({ code: "payload_too_large" });
  });

  it("holds a step to timeoutMs and cancels it through the signal, as a tool", async () => {
    const m = manifest("step-spin", [testStep("spin", { export: "loop" }), testStep("fine", { export: "ok", output: VALUE_SCHEMA })], { limits: { memoryMaxPages: 64, timeoutMs: 1000, maxResponseBytes: 64 * 1024 } });
    const host = await load({ manifest: m, wasm: wasm.misbehave!, poolSize: 1 });
    const started = Date.now();
    await expect(host.callStep("spin", {})).rejects.toMatchObject({ code: "timeout" });
    expect(Date.now() - started).toBeLessThan(6000);
    const controller = new AbortController();
    const call = host.callStep("spin", {}, { signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    await expect(call).rejects.toMatchObject({ code: "aborted" });
    await expect(host.callStep("fine", {})).resolves.toEqual({ value: 1 });
  });

  it("refuses to load a step whose export the module lacks", async () => {
    await expect(load({ manifest: manifest("nostep", [testStep("missing")]), wasm: wasm.echo! })).rejects.toMatchObject({ code: "invalid_module", message: expect.stringContaining('step "missing"') });
  });
});

describe("PluginHost: load checks", () => {
  it("refuses a module whose memory has no maximum", async () => {
    await expect(load({ manifest: manifest("nomax", [tool("echo")]), wasm: wasm.nomax! })).rejects.toMatchObject({
      code: "memory_limit",
      message: expect.stringContaining("no maximum"),
    });
  });

  it("refuses a module whose maximum is above memoryMaxPages", async () => {
    const m = manifest("toobig", [tool("echo")], { limits: { memoryMaxPages: 16, timeoutMs: 1000, maxResponseBytes: 1024 } });
    await expect(load({ manifest: m, wasm: wasm.echo! })).rejects.toMatchObject({ code: "memory_limit" });
  });

  it("refuses a module importing shimmy_http without permissions.net, or shimmy_fs_* without permissions.fs", async () => {
    await expect(load({ manifest: manifest("nonet", [tool("fetch")]), wasm: wasm.http! })).rejects.toMatchObject({
      code: "permission_denied",
      message: expect.stringContaining("shimmy_http"),
    });
    await expect(load({ manifest: manifest("nofs", [tool("read")]), wasm: wasm.fs! })).rejects.toMatchObject({ code: "permission_denied" });
  });

  it("refuses a tool whose export the module lacks", async () => {
    await expect(load({ manifest: manifest("noexport", [tool("missing")]), wasm: wasm.echo! })).rejects.toMatchObject({ code: "invalid_module" });
  });
});

describe("PluginHost: shimmy_http", () => {
  let granted: http.Server;
  let other: http.Server;
  let port: number;
  let otherPort: number;
  let host: PluginHost;

  beforeAll(async () => {
    const listen = async (server: http.Server) => {
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      return (server.address() as AddressInfo).port;
    };
    other = http.createServer((_req, res) => res.end("other server"));
    otherPort = await listen(other);
    granted = http.createServer((req, res) => {
      if (req.url === "/redirect") {
        res.writeHead(302, { location: `http://127.0.0.1:${otherPort}/` });
        res.end();
      } else if (req.url === "/slow") {
        // never answers: the call's timeout must end it while the host function is in flight
      } else if (req.url === "/binary") {
        res.end(Buffer.from([0xff, 0xfe, 0x00]));
      } else {
        res.setHeader("x-test", "yes");
        res.end(`hello ${req.method}`);
      }
    });
    port = await listen(granted);
    const m = manifest("http", [tool("fetch")], { permissions: { net: [`http://127.0.0.1:${port}`] } });
    host = await load({ manifest: m, wasm: wasm.http! });
  });

  afterAll(async () => {
    granted?.close();
    other?.close();
  });

  it("reaches a granted local server", async () => {
    const out = (await host.callTool("fetch", { method: "GET", url: `http://127.0.0.1:${port}/hi` })) as Record<string, unknown>;
    expect(out).toMatchObject({ status: 200, body: "hello GET", headers: { "x-test": "yes" } });
    const bin = await host.callTool("fetch", { url: `http://127.0.0.1:${port}/binary` });
    expect(bin).toMatchObject({ status: 200, body_base64: Buffer.from([0xff, 0xfe, 0x00]).toString("base64") });
  });

  it("answers refusals as {error} JSON: a host not granted, another port, a redirect off the grant", async () => {
    await expect(host.callTool("fetch", { url: `http://localhost:${port}/` })).resolves.toMatchObject({ error: { code: "permission_denied" } });
    await expect(host.callTool("fetch", { url: `http://127.0.0.1:${otherPort}/` })).resolves.toMatchObject({ error: { code: "permission_denied" } });
    await expect(host.callTool("fetch", { url: `http://127.0.0.1:${port}/redirect` })).resolves.toMatchObject({ error: { code: "permission_denied" } });
    await expect(host.callTool("fetch", { url: "not a url" })).resolves.toMatchObject({ error: { code: "invalid_request" } });
    // The instances survived the refusals.
    await expect(host.callTool("fetch", { url: `http://127.0.0.1:${port}/again` })).resolves.toMatchObject({ status: 200 });
  });

  it("times out a call whose host function is still waiting, and the next call works; dispose fails calls in flight", async () => {
    const m = manifest("http-slow", [tool("fetch")], {
      permissions: { net: [`http://127.0.0.1:${port}`] },
      // Room for the replacement instance's start, which the next call's deadline includes.
      limits: { memoryMaxPages: 64, timeoutMs: 2000, maxResponseBytes: 64 * 1024 },
    });
    const slow = await load({ manifest: m, wasm: wasm.http!, poolSize: 1 });
    await expect(slow.callTool("fetch", { url: `http://127.0.0.1:${port}/slow` })).rejects.toMatchObject({ code: "timeout" });
    await expect(slow.callTool("fetch", { url: `http://127.0.0.1:${port}/ok` })).resolves.toMatchObject({ status: 200 });
    const inFlight = slow.callTool("fetch", { url: `http://127.0.0.1:${port}/slow` });
    const queued = slow.callTool("fetch", { url: `http://127.0.0.1:${port}/ok` });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await slow.dispose();
    await expect(inFlight).rejects.toMatchObject({ code: "closed" });
    await expect(queued).rejects.toMatchObject({ code: "closed" });
    await expect(slow.callTool("fetch", { url: `http://127.0.0.1:${port}/ok` })).rejects.toMatchObject({ code: "closed" });
  });

  it("sends Extism's own http_request through the same checks", async () => {
    const m = manifest("extism-http", [tool("extism_fetch")], { permissions: { net: [`http://127.0.0.1:${port}`] } });
    const ext = await load({ manifest: m, wasm: wasm.extismHttp!, poolSize: 1 });
    await expect(ext.callTool("extism_fetch", { method: "GET", url: `http://127.0.0.1:${port}/x` })).resolves.toEqual({ status: 200, bytes: 9 });
    // Refusals come back as a 403 whose body is the {error} JSON, not as an error that kills the instance.
    await expect(ext.callTool("extism_fetch", { url: `http://127.0.0.1:${otherPort}/` })).resolves.toMatchObject({ status: 403 });
    await expect(ext.callTool("extism_fetch", { url: `http://127.0.0.1:${port}/redirect` })).resolves.toMatchObject({ status: 403 });
    await expect(ext.callTool("extism_fetch", { url: `http://127.0.0.1:${port}/y` })).resolves.toEqual({ status: 200, bytes: 9 });
    // Without permissions.net the module is refused at load.
    await expect(load({ manifest: manifest("extism-http2", [tool("extism_fetch")]), wasm: wasm.extismHttp! })).rejects.toMatchObject({
      code: "permission_denied",
      message: expect.stringContaining("http_request"),
    });
  });
});

describe("PluginHost: shimmy_fs_*", () => {
  let folder: string;
  let outside: string;
  const fsTools = ["read", "list", "write", "now"].map((n) => tool(n));

  beforeAll(async () => {
    folder = path.join(work, "granted");
    outside = path.join(work, "outside");
    await mkdir(folder);
    await mkdir(outside);
    await writeFile(path.join(folder, "a.txt"), "inside ✓");
    await writeFile(path.join(outside, "secret.txt"), "secret");
    await symlink(path.join(outside, "secret.txt"), path.join(folder, "link.txt"));
  });

  it("reads and lists inside the folder; refuses outside, symlink escapes and writes without a write grant", async () => {
    const host = await load({ manifest: manifest("fsread", fsTools, { permissions: { fs: { read: [folder] } } }), wasm: wasm.fs!, poolSize: 1 });
    await expect(host.callTool("read", { path: path.join(folder, "a.txt") })).resolves.toEqual({ text: "inside ✓" });
    const listing = (await host.callTool("list", { path: folder })) as { entries: { name: string }[] };
    expect(listing.entries.map((e) => e.name)).toEqual(["a.txt", "link.txt"]);
    await expect(host.callTool("read", { path: path.join(outside, "secret.txt") })).resolves.toMatchObject({ error: { code: "permission_denied" } });
    await expect(host.callTool("read", { path: path.join(folder, "link.txt") })).resolves.toMatchObject({ error: { code: "permission_denied" } });
    await expect(host.callTool("write", { path: path.join(folder, "new.txt"), text: "x" })).resolves.toMatchObject({ error: { code: "permission_denied" } });
    const now = (await host.callTool("now", {})) as { unix_ms: number; iso: string };
    expect(Math.abs(now.unix_ms - Date.now())).toBeLessThan(5000);
    expect(new Date(now.iso).getTime()).toBe(now.unix_ms);
  });

  it("writes inside a write-granted folder", async () => {
    const m = manifest("fswrite", fsTools, { permissions: { fs: { read: [folder], write: [folder] } } });
    const host = await load({ manifest: m, wasm: wasm.fs!, poolSize: 1 });
    await expect(host.callTool("write", { path: path.join(folder, "out.txt"), text: "written ✓" })).resolves.toEqual({ bytes: Buffer.byteLength("written ✓") });
    await expect(readFile(path.join(folder, "out.txt"), "utf8")).resolves.toBe("written ✓");
  });
});

describe("PluginHost: allocation caps in the instance's worker", () => {
  const bombTools = ["alloc_bomb", "var_bomb", "now_bomb", "tiny_blocks", "free_loop", "counter", "greeting", "crash", "alloc_exact"].map((n) => tool(n));
  const limits = { memoryMaxPages: 32, timeoutMs: 10_000, maxResponseBytes: 64 * 1024 };
  const caps = workerCaps(limits);

  it("fails a call that allocates past a cap with memory_limit, fast, and the next call on that host works", async () => {
    const host = await load({ manifest: manifest("bombs", bombTools, { limits }), wasm: wasm.bombs!, poolSize: 1 });
    // The main thread keeps running while the bombs go off in the worker.
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 10);
    const started = Date.now();
    const blockCap = expect.stringContaining(`the cap is ${(caps.blockBytes / (1024 * 1024)).toFixed(1)} MiB (${caps.blockBytes} bytes`);
    // The Extism kernel's alloc, called in a loop.
    await expect(host.callTool("alloc_bomb", {})).rejects.toMatchObject({ code: "memory_limit", message: blockCap });
    await expect(host.callTool("free_loop", {})).resolves.toEqual({ value: 200 });
    // var_set in a loop: the vars' own cap.
    await expect(host.callTool("var_bomb", {})).rejects.toMatchObject({ code: "memory_limit", message: expect.stringContaining(`(${caps.varBytes} bytes`) });
    await expect(host.callTool("free_loop", {})).resolves.toEqual({ value: 200 });
    // A host function's answers, kept.
    await expect(host.callTool("now_bomb", {})).rejects.toMatchObject({ code: "memory_limit", message: blockCap });
    await expect(host.callTool("free_loop", {})).resolves.toEqual({ value: 200 });
    // Empty blocks: no bytes, but the cap on blocks per call.
    await expect(host.callTool("tiny_blocks", {})).rejects.toMatchObject({
      code: "memory_limit",
      message: expect.stringContaining(`more than ${caps.blocksPerCall} Extism memory blocks`),
    });
    await expect(host.callTool("free_loop", {})).resolves.toEqual({ value: 200 });
    clearInterval(ticker);
    expect(Date.now() - started).toBeLessThan(limits.timeoutMs);
    expect(ticks).toBeGreaterThan(0);
    const outcomes = logLines.filter((l) => l.plugin === "bombs").map((l) => l.outcome);
    expect(outcomes).toEqual(["memory_limit", "ok", "memory_limit", "ok", "memory_limit", "ok", "memory_limit", "ok"]);
  });

  it("holds an instance to the memory bound the manifest reference states, to the byte", async () => {
    const stated = instanceMemory(limits);
    expect(caps.blockBytes).toBe(stated.blocks);
    expect(caps.varBytes).toBe(stated.vars);
    expect(WORKER_RESOURCE_LIMITS.maxOldGenerationSizeMb! + WORKER_RESOURCE_LIMITS.maxYoungGenerationSizeMb!).toBe(HOST_LIMITS.workerHeapMiB);
    const host = await load({ manifest: manifest("exact", bombTools, { limits }), wasm: wasm.bombs!, poolSize: 1 });
    // The input and the output are blocks too: the block a call may allocate is what they leave.
    const output = '{"value":1}'.length;
    const n = stated.blocks - JSON.stringify({ n: stated.blocks }).length - output;
    await expect(host.callTool("alloc_exact", { n })).resolves.toEqual({ value: 1 });
    await expect(host.callTool("alloc_exact", { n: n + 1 })).rejects.toMatchObject({ code: "memory_limit", message: expect.stringContaining(`(${stated.blocks} bytes`) });
  });

  it("keeps vars across calls on an instance, and hands config to the plugin", async () => {
    const host = await load({ manifest: manifest("vars", bombTools, { limits }), wasm: wasm.bombs!, poolSize: 1, config: { greeting: "grüß dich" } });
    await expect(host.callTool("counter", {})).resolves.toEqual({ value: 1 });
    await expect(host.callTool("counter", {})).resolves.toEqual({ value: 2 });
    await expect(host.callTool("greeting", {})).resolves.toEqual({ value: "grüß dich" });
  });

  it("reports the message a plugin set before it trapped (AssemblyScript's abort)", async () => {
    const host = await load({ manifest: manifest("crash", bombTools, { limits }), wasm: wasm.bombs!, poolSize: 1 });
    const error = await host.callTool("crash", {}).then(() => null, (e: unknown) => e as Error & { code: string });
    expect(error).toMatchObject({ code: "plugin_error" });
    expect(error?.message).toContain("boom: ünïcödé assertion");
    expect(error?.message).toContain("unreachable");
    await expect(host.callTool("counter", {})).resolves.toEqual({ value: 1 });
  });

  it("fails the call of a worker whose heap passes resourceLimits, and only that call", async () => {
    // With the cap on blocks lifted, empty blocks fill the worker's V8 heap until resourceLimits
    // ends the worker: the path a heap overflow takes (with Shimmy's caps, wasm cannot get there).
    const m = manifest("heap", bombTools, { limits });
    const spec = {
      module: await checkModule(wasm.bombs!, m),
      config: {},
      caps: { ...caps, blocksPerCall: Number.POSITIVE_INFINITY },
      shimmyFunctions: ["shimmy_now" as const],
      extismHttp: false,
      grants: { net: [], fs: { home: work, folders: [] }, serverAddresses: [], maxResponseBytes: limits.maxResponseBytes, timeoutMs: limits.timeoutMs },
      log: () => {},
      resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4, stackSizeMb: 4 },
    };
    const doomed = await WorkerInstance.start(spec as never);
    const input = new TextEncoder().encode("{}");
    await expect(doomed.call("tiny_blocks", input)).rejects.toMatchObject({ code: "memory_limit", message: expect.stringContaining("ran out of heap") });
    await expect(doomed.call("free_loop", input)).rejects.toMatchObject({ code: "memory_limit" });
    await doomed.dispose();
    const fresh = await WorkerInstance.start(spec as never);
    const output = await fresh.call("free_loop", input);
    expect(new TextDecoder().decode(output!)).toBe('{"value":200}');
    await fresh.dispose();
  });
});

/**
 * Calls another plugin's tool every 25 ms until `during` settles: the attack under test must never
 * hold up a different plugin. Returns the slowest call, in ms (every call must succeed).
 */
async function otherPluginKeepsWorking(during: Promise<unknown>): Promise<number> {
  const other = await load({ manifest: manifest(`bystander-${hosts.length}`, [tool("echo")]), wasm: wasm.echo!, poolSize: 1 });
  let settled = false;
  void during.then(() => (settled = true), () => (settled = true));
  let slowest = 0;
  let calls = 0;
  for (let i = 0; i < 2000 && !settled; i++) {
    const started = Date.now();
    await expect(other.callTool("echo", { text: `call ${i}` })).resolves.toEqual({ text: `call ${i}` });
    slowest = Math.max(slowest, Date.now() - started);
    calls++;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  expect(calls).toBeGreaterThan(0);
  return slowest;
}

describe("PluginHost: the instantiation deadline", () => {
  const okTool = [tool("ok", { outputSchema: VALUE_SCHEMA })];

  it.each([
    ["start function (top-level code)", "startSpin"],
    ["exported hs_init", "initSpin"],
  ])("refuses a plugin whose %s never returns, at startTimeoutMs, while another plugin's calls keep working", async (_what, key) => {
    const started = Date.now();
    const loading = load({ manifest: manifest(`spin-${key}`, okTool), wasm: wasm[key]!, poolSize: 2, startTimeoutMs: 400 });
    const slowest = await otherPluginKeepsWorking(loading);
    await expect(loading).rejects.toMatchObject({ code: "start_failed", message: expect.stringContaining("did not finish instantiating within 400 ms") });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(slowest).toBeLessThan(1000);
  });

  it("abandons a load stuck in a start function through its signal", async () => {
    const controller = new AbortController();
    const loading = load({ manifest: manifest("spin-abandoned", okTool), wasm: wasm.startSpin!, startTimeoutMs: 60_000, signal: controller.signal });
    setTimeout(() => controller.abort(), 200);
    const started = Date.now();
    await expect(loading).rejects.toMatchObject({ code: "closed" });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("marks a time bomb failed once its replacement instances keep hanging, and stops restarting it", async () => {
    const bombTools = [...okTool, tool("trap")];
    const limits = { memoryMaxPages: 64, timeoutMs: 2000, maxResponseBytes: 64 * 1024 };
    const bombAt = Date.now() + 1000;
    const host = await load({
      manifest: manifest("time-bomb", bombTools, { limits }),
      wasm: wasm.timeBomb!,
      config: { bomb_at: String(bombAt) },
      poolSize: 1,
      startTimeoutMs: 300,
      maxStartFailures: 2,
    });
    // Passes its first load, and works until the clock passes bomb_at.
    await expect(host.callTool("ok", {})).resolves.toEqual({ value: 1 });
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, bombAt - Date.now() + 50)));
    await expect(host.callTool("ok", {})).resolves.toEqual({ value: 1 });
    const attack = (async () => {
      // The trap makes the pool replace the instance; the replacement's start function spins.
      await expect(host.callTool("trap", {})).rejects.toMatchObject({ code: "plugin_error" });
      let started = Date.now();
      await expect(host.callTool("ok", {})).rejects.toMatchObject({ code: "start_failed", message: expect.stringContaining("within 300 ms") });
      expect(Date.now() - started).toBeLessThan(1500); // the start deadline, not timeoutMs, nor never
      // The failed slot starts again for this call, which fails at once; that second failed start is the last.
      await expect(host.callTool("ok", {})).rejects.toMatchObject({ code: "start_failed" });
      for (let i = 0; i < 40 && host.failure === null; i++) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(host.failure).toContain("gave up after 2 failed starts in a row");
      started = Date.now();
      await expect(host.callTool("ok", {})).rejects.toMatchObject({ code: "start_failed", message: expect.stringContaining("gave up") });
      expect(Date.now() - started).toBeLessThan(200);
    })();
    const slowest = await otherPluginKeepsWorking(attack);
    await attack;
    expect(slowest).toBeLessThan(1000);
    const started = Date.now();
    await host.dispose();
    expect(Date.now() - started).toBeLessThan(500);
  });

  it("disposes at once while a replacement instance is stuck in its start function", async () => {
    const host = await load({
      manifest: manifest("time-bomb2", [...okTool, tool("trap")]),
      wasm: wasm.timeBomb!,
      config: { bomb_at: String(Date.now() + 500) },
      poolSize: 1,
      startTimeoutMs: 60_000,
    });
    await new Promise((resolve) => setTimeout(resolve, 600));
    await expect(host.callTool("trap", {})).rejects.toMatchObject({ code: "plugin_error" });
    const waiting = host.callTool("ok", {});
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = Date.now();
    await host.dispose();
    expect(Date.now() - started).toBeLessThan(500);
    await expect(waiting).rejects.toMatchObject({ code: "closed" });
  });
});

describe("PluginHost: calls queue within their deadline", () => {
  const loopTools = [tool("loop"), tool("ok", { outputSchema: VALUE_SCHEMA })];
  const limits = { memoryMaxPages: 64, timeoutMs: 300, maxResponseBytes: 64 * 1024 };

  it("ends every one of 20 concurrent spinning calls near timeoutMs, while another plugin's calls keep working", async () => {
    const host = await load({ manifest: manifest("queue-spin", loopTools, { limits }), wasm: wasm.misbehave!, poolSize: 2 });
    const started = Date.now();
    const calls = Promise.all(Array.from({ length: 20 }, () => host.callTool("loop", {}).then(() => null, (e: unknown) => e as { code: string })));
    const slowest = await otherPluginKeepsWorking(calls);
    const errors = await calls;
    // Before, the last of them failed after about 20 / 2 × 300 ms.
    expect(Date.now() - started).toBeLessThan(2000);
    expect(errors.map((e) => e?.code)).toEqual(Array(20).fill("timeout"));
    expect(slowest).toBeLessThan(1000);
    await expect(host.callTool("ok", {})).resolves.toEqual({ value: 1 });
  });

  it("refuses a call past maxQueue with busy, at once", async () => {
    const host = await load({ manifest: manifest("queue-cap", loopTools, { limits }), wasm: wasm.misbehave!, poolSize: 1, maxQueue: 3 });
    const calls = Array.from({ length: 4 }, () => host.callTool("loop", {}).catch((e: unknown) => e));
    const started = Date.now();
    await expect(host.callTool("ok", {})).rejects.toMatchObject({ code: "busy", message: expect.stringContaining("3 calls are already waiting") });
    expect(Date.now() - started).toBeLessThan(100);
    await Promise.all(calls);
    await expect(host.callTool("ok", {})).resolves.toEqual({ value: 1 });
  });
});
