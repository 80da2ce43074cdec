/**
 * The plugins' tools over MCP, end to end: the SDK's own client against `shimmy serve`'s `/mcp`
 * (both protocol eras) and against `shimmy mcp` on stdio, with the real calculator and a test plugin
 * that traps and spins. The same local-security rules as every route: Origin, API key.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { packedPlugin } from "../scripts/first-party-plugins.js";
import { pluginCli } from "./helpers/plugin-cli.js";
import { waitForPlugins } from "./helpers/plugins-api.js";
import { packTestPlugin } from "./helpers/test-plugin-package.js";
import { BIN, ROOT, homeEnv, startShimmy, type ShimmyProcess } from "./helpers/shimmy-process.js";

const DEMO_MODEL = path.join(ROOT, "models/stories260K.gguf");
const SERVE_ARGS = ["--model", DEMO_MODEL, "--no-discovery"];
/** The misbehaving test plugin: `trap` traps, `loop` spins past its 500 ms timeout. */
const MISBEHAVE = {
  name: "misbehave",
  version: "1.0.0",
  description: "test plugin",
  shimmy: "*",
  capabilities: ["trap", "loop"].map((t) => ({ kind: "tool", name: t, export: t, description: t, inputSchema: { type: "object" } })),
  limits: { memoryMaxPages: 64, timeoutMs: 500, maxResponseBytes: 65536 },
};

/** The store's function names (PLUGIN__TOOL): the MCP tool names. */
const CALCULATE = "calculator__calculate";
const TRAP = "misbehave__trap";
const LOOP = "misbehave__loop";

let shimmy: ShimmyProcess;
let work: string;
const clients: Client[] = [];

/** An SDK client connected to `url`/mcp; `pin` selects the 2026-07-28 era, else the 2025 default. */
async function httpClient(url: string, options: { pin?: boolean; headers?: Record<string, string>; onToolsChanged?: (names: string[]) => void } = {}): Promise<Client> {
  const { onToolsChanged } = options;
  const client = new Client(
    { name: "shimmy-test", version: "1.0.0" },
    {
      ...(options.pin ? { versionNegotiation: { mode: { pin: "2026-07-28" } } } : {}),
      ...(onToolsChanged ? { listChanged: { tools: { debounceMs: 0, onChanged: (_err, tools) => onToolsChanged((tools ?? []).map((t) => t.name).sort()) } } } : {}),
    },
  );
  await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers: options.headers ?? {} } }));
  clients.push(client);
  return client;
}

function textOf(result: { content?: unknown }): string {
  return ((result.content ?? []) as { type: string; text?: string }[]).map((c) => c.text ?? "").join("");
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "shimmy-mcp-test-"));
  const misbehave = await packTestPlugin("misbehave", MISBEHAVE, work);
  shimmy = await startShimmy({ args: SERVE_ARGS });
  for (const file of [packedPlugin(inject("firstPartyPlugins"), "calculator").tgz, misbehave]) {
    const run = await pluginCli(shimmy.home, ["install", file, "--yes"], "", 60_000, { SHIMMY_URL: shimmy.url });
    expect(run.code, run.stderr).toBe(0);
  }
  await waitForPlugins(shimmy.url, (all) => all.filter((p) => p.status === "ready").length === 2);
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  await shimmy?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe("/mcp over Streamable HTTP", () => {
  it("lists the plugins' tools MCP-shaped, for a 2025-era client", async () => {
    const { tools } = await (await httpClient(shimmy.url)).listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([CALCULATE, LOOP, TRAP]);
    const calculate = tools.find((t) => t.name === CALCULATE);
    expect(calculate).toMatchObject({
      title: "Calculator",
      description: expect.stringContaining("arithmetic"),
      inputSchema: { type: "object", required: ["expression"] },
      outputSchema: { type: "object", required: ["result"] },
      annotations: { readOnlyHint: true, openWorldHint: false },
    });
  });

  it("calls the calculator, and the call's audit line carries the HTTP request's id", async () => {
    const client = await httpClient(shimmy.url);
    const result = await client.callTool({ name: CALCULATE, arguments: { expression: "0.1+0.2" } });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toEqual({ result: "0.3" });
    expect(JSON.parse(textOf(result))).toEqual({ result: "0.3" });
    const audit = await shimmy.waitForLog((l) => l.event === "plugin_call" && l.plugin === "calculator" && l.outcome === "ok");
    const request = await shimmy.waitForLog((l) => l.event === "request" && l.route === "/mcp" && l.tool === CALCULATE);
    expect(audit.requestId).toBe(request.requestId);
  });

  it("serves a 2026-07-28 client too", async () => {
    const client = await httpClient(shimmy.url, { pin: true });
    expect((await client.listTools()).tools.map((t) => t.name)).toContain(CALCULATE);
    await expect(client.callTool({ name: CALCULATE, arguments: { expression: "6*7" } })).resolves.toMatchObject({ structuredContent: { result: "42" } });
  });

  it("answers bad arguments, a trap and a timeout with isError results, and keeps serving", async () => {
    const client = await httpClient(shimmy.url);
    const bad = await client.callTool({ name: CALCULATE, arguments: { expression: 42 } });
    expect(bad).toMatchObject({ isError: true, _meta: { "dev.shimmy/error_code": "invalid_parameter" } });
    expect(textOf(bad)).toMatch(/expression/);
    const trap = await client.callTool({ name: TRAP, arguments: {} });
    expect(trap).toMatchObject({ isError: true, _meta: { "dev.shimmy/error_code": "tool_failed" } });
    expect(textOf(trap)).toMatch(/unreachable/);
    const started = Date.now();
    const loop = await client.callTool({ name: LOOP, arguments: {} });
    expect(loop).toMatchObject({ isError: true, _meta: { "dev.shimmy/error_code": "tool_timeout" } });
    expect(Date.now() - started).toBeLessThan(5_000);
    await expect(client.callTool({ name: CALCULATE, arguments: { expression: "2^10" } })).resolves.toMatchObject({ structuredContent: { result: "1024" } });
    // Tool failures are results, not serving errors.
    expect(shimmy.logs.filter((l) => l.event === "mcp_error")).toEqual([]);
  });

  it("refuses a foreign Origin with 403 before the MCP handler runs, and allows the server's own", async () => {
    const initialize = { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: CALCULATE, arguments: { expression: "1+1" } } };
    const post = (origin: string) =>
      fetch(`${shimmy.url}/mcp`, { method: "POST", headers: { "content-type": "application/json", accept: "application/json, text/event-stream", origin }, body: JSON.stringify(initialize) });
    const foreign = await post("http://evil.example");
    expect(foreign.status).toBe(403);
    // Shimmy's own error body, not a JSON-RPC one: the middleware answered, not the SDK.
    expect(await foreign.json()).toMatchObject({ error: { code: "forbidden_origin" } });
    const log = await shimmy.waitForLog((l) => l.event === "request" && l.route === "/mcp" && l.status === 403);
    expect(shimmy.logs.some((l) => l.event === "plugin_call" && l.requestId === log.requestId)).toBe(false);
    const own = await post(shimmy.url);
    expect(own.status).toBe(200);
    expect(own.headers.get("access-control-allow-origin")).toBe(shimmy.url);
  });
});

describe("/mcp with --api-key", () => {
  let guarded: ShimmyProcess;
  beforeAll(async () => {
    guarded = await startShimmy({ args: [...SERVE_ARGS, "--api-key", "sekret"] });
  });
  afterAll(async () => {
    await guarded?.stop();
  });

  it("needs the key: 401 without it or with a wrong one, served with it", async () => {
    const post = (headers: Record<string, string>) =>
      fetch(`${guarded.url}/mcp`, { method: "POST", headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }) });
    expect((await post({})).status).toBe(401);
    expect((await post({ authorization: "Bearer wrong" })).status).toBe(401);
    await expect(httpClient(guarded.url, { headers: { authorization: "Bearer nope" } })).rejects.toThrow();
    const client = await httpClient(guarded.url, { headers: { authorization: "Bearer sekret" } });
    await expect(client.listTools()).resolves.toEqual(expect.objectContaining({ tools: [] }));
  });
});

describe("shimmy mcp on stdio", () => {
  it("serves the same tools from $SHIMMY_HOME, isError for a trap, and tells of a disabled plugin (as /mcp tells a 2026-era client)", async () => {
    const transport = new StdioClientTransport({ command: process.execPath, args: [BIN, "mcp"], env: homeEnv(shimmy.home) as Record<string, string>, stderr: "pipe" });
    let stderr = "";
    transport.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
    const errors: Error[] = [];
    let onChanged: (names: string[]) => void = () => undefined;
    const changed = new Promise<string[]>((resolve) => (onChanged = resolve));
    const client = new Client(
      { name: "shimmy-test", version: "1.0.0" },
      { listChanged: { tools: { debounceMs: 0, onChanged: (_err, tools) => onChanged((tools ?? []).map((t) => t.name).sort()) } } },
    );
    client.onerror = (err) => errors.push(err);
    try {
      await client.connect(transport);
      expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual([CALCULATE, LOOP, TRAP]);
      await expect(client.callTool({ name: CALCULATE, arguments: { expression: "(2+3)*4" } })).resolves.toMatchObject({ structuredContent: { result: "20" } });
      await expect(client.callTool({ name: TRAP, arguments: {} })).resolves.toMatchObject({ isError: true });
      await expect(client.callTool({ name: CALCULATE, arguments: {} })).resolves.toMatchObject({ isError: true });
      let onHttpChanged: (names: string[]) => void = () => undefined;
      const httpChanged = new Promise<string[]>((resolve) => (onHttpChanged = resolve));
      await httpClient(shimmy.url, { pin: true, onToolsChanged: (names) => onHttpChanged(names) });
      const run = await pluginCli(shimmy.home, ["disable", "misbehave"], "", 60_000, { SHIMMY_URL: shimmy.url });
      expect(run.code, run.stderr).toBe(0);
      await expect(changed).resolves.toEqual([CALCULATE]);
      await expect(httpChanged).resolves.toEqual([CALCULATE]);
      // Anything on stdout but MCP frames would have broken the client's reader.
      expect(errors).toEqual([]);
      expect(stderr).toContain('"event":"plugin_call"');
    } finally {
      await client.close();
      const pid = transport.pid;
      if (pid !== null) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
    }
  });
});
