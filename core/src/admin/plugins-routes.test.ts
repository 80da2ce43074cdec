/**
 * `/api/plugins` and `/api/tools/call` in process: the real app of `createApp` over a fake engine
 * and a stand-in for the installed plugins that records each call. The end-to-end tests in `test/`
 * run the same routes over real plugins.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeEngine } from "../engine/fake-engine.js";
import { startTestApp, type TestApp } from "../http/test-app.fixture.js";
import type { InstalledPlugins, ToolCallOptions, ToolCallRequest } from "../plugins/installed-plugins.js";

const calls: { request: ToolCallRequest; options: ToolCallOptions | undefined }[] = [];
const plugins = {
  health: () => ({ ready: 0, failed: [] }),
  list: () => [],
  applied: () => ({ generation: 3, storeId: "0123456789abcdef" }),
  callTool: async (request: ToolCallRequest, options?: ToolCallOptions) => {
    calls.push({ request, options });
    return { echoed: request.arguments };
  },
} as unknown as InstalledPlugins;

let app: TestApp;
const engine = new FakeEngine();

beforeAll(async () => {
  app = await startTestApp({ engine, plugins });
});

afterAll(async () => {
  await app.close();
  await engine.dispose();
});

async function call(body: unknown, headers: Record<string, string> = {}) {
  const answer = await app.request("POST", "/api/tools/call", body, headers);
  return { status: answer.status, json: answer.json() as { error?: { code: string; param: string | null; message: string } } & Record<string, unknown> };
}

describe("/api/plugins", () => {
  it("lists the plugins with the store generation and id the server runs", async () => {
    expect((await app.request("GET", "/api/plugins")).json()).toEqual({ object: "list", data: [], generation: 3, store_id: "0123456789abcdef" });
  });
});

describe("POST /api/tools/call", () => {
  it("calls the tool with the request's id and abort signal, arguments defaulting to {}", async () => {
    expect(await call({ name: "echo", plugin: "demo", arguments: { a: 1 } }, { "x-request-id": "req_plugins_test" })).toEqual({ status: 200, json: { result: { echoed: { a: 1 } } } });
    expect(calls.at(-1)?.request).toEqual({ name: "echo", plugin: "demo", arguments: { a: 1 } });
    expect(calls.at(-1)?.options).toMatchObject({ requestId: "req_plugins_test", signal: expect.any(AbortSignal) });
    expect((await call({ name: "echo", arguments: null })).json).toEqual({ result: { echoed: {} } });
    expect(calls.at(-1)?.request).toEqual({ name: "echo", arguments: {} });
  });

  it("names the field at fault, with the messages the tool-call body always had", async () => {
    const fault = async (body: unknown) => (await call(body)).json.error;
    expect(await fault({ arguments: {} })).toMatchObject({ code: "invalid_parameter", param: "name", message: "Missing required parameter: name (the tool's name)" });
    expect(await fault({ name: "" })).toMatchObject({ param: "name", message: "Missing required parameter: name (the tool's name)" });
    expect(await fault({ name: 3 })).toMatchObject({ param: "name" });
    expect(await fault({ name: "echo", plugin: "" })).toMatchObject({ param: "plugin", message: "plugin must be a plugin's name" });
    expect(await fault({ name: "echo", arguments: [] })).toMatchObject({ param: "arguments", message: "arguments must be a JSON object" });
    expect(await fault({ name: "echo", extra: 1 })).toMatchObject({ param: "extra", message: "Unknown parameter: extra" });
    expect(await fault([1])).toMatchObject({ code: "invalid_parameter", param: null });
    expect((await call({ arguments: {} })).status).toBe(400);
  });
});
