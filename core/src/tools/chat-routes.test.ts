/**
 * Plugin tools through `POST /v1/chat/completions` in process: the real Koa app over a
 * {@link FakeEngine} and the in-memory plugins of `fake-plugins.fixture.ts`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeEngine, fakeModel } from "../engine/fake-engine.js";
import type { ChatRequest } from "../engine/types.js";
import { startTestApp, type TestApp } from "../http/test-app.fixture.js";
import type { InstalledPlugins } from "../plugins/installed-plugins.js";
import { fakePlugins } from "./fake-plugins.fixture.js";

let app: TestApp;
const engine = new FakeEngine({
  models: [fakeModel("fake-chat"), fakeModel("quiet-chat")],
  answer: (request) => {
    const { turns, tools = [], toolChoice } = request as ChatRequest;
    if (turns.some((t) => t.role === "tool") || tools.length === 0 || toolChoice?.mode === "none") return { text: `tools seen: ${tools.map((t) => t.name).join(",") || "none"}` };
    const name = toolChoice?.mode === "named" ? toolChoice.name : tools[0]!.name;
    return { toolCalls: [{ name, arguments: name === "calculator__calculate" ? '{"expression":"6*7"}' : "{}" }] };
  },
});
const plugins = Object.assign(fakePlugins(), { health: () => ({ ready: 3, failed: [] }) }) as unknown as InstalledPlugins;

beforeAll(async () => {
  app = await startTestApp({ engine, plugins, defaultPlugins: { "*": ["calculator", "not-installed"], "quiet-chat": [] } });
});

afterAll(async () => {
  await app.close();
  await engine.dispose();
});

const post = (body: Record<string, unknown>) => app.request("POST", "/v1/chat/completions", { model: "fake-chat", messages: [{ role: "user", content: "hi" }], ...body });

describe("plugin tools in chat completions", () => {
  it("runs the named plugins' tools and returns the answer with tool_trace and summed usage", async () => {
    const { status, json } = await post({ plugins: ["calculator", "time"] });
    expect(status).toBe(200);
    const body = json();
    expect(body.choices[0]).toMatchObject({ message: { content: "tools seen: calculator__calculate,time__now" }, finish_reason: "stop" });
    expect(body.tool_trace).toMatchObject([
      { type: "round", round: 1, plugin_calls: 1 },
      { type: "tool_call", round: 1, name: "calculator__calculate", plugin: "calculator", arguments: { expression: "6*7" }, result: { result: "42" } },
      { type: "round", round: 2, plugin_calls: 0, finish_reason: "stop" },
    ]);
    const rounds = body.tool_trace.filter((e: { type: string }) => e.type === "round");
    expect(body.usage.prompt_tokens).toBe(rounds[0].prompt_tokens + rounds[1].prompt_tokens);
  });

  it("gives a request that names no plugins the defaults of its model, skipping those not installed", async () => {
    expect((await post({})).json()).toMatchObject({ choices: [{ message: { content: "tools seen: calculator__calculate" } }], tool_trace: [{ type: "round" }, { plugin: "calculator" }, { type: "round" }] });
    // quiet-chat's own entry replaces "*"; "plugins": [] turns them off for one request.
    for (const body of [{ model: "quiet-chat" }, { plugins: [] }]) {
      const answer = (await post(body)).json();
      expect(answer.choices[0].message.content).toBe("tools seen: none");
      expect(answer.tool_trace).toBeUndefined();
    }
  });

  it("lets a client tool win over a plugin tool of the same name", async () => {
    const tools = [{ type: "function", function: { name: "calculator__calculate", parameters: { type: "object" } } }];
    const answer = (await post({ plugins: ["calculator", "time"], tools, tool_choice: "required" })).json();
    expect(answer.choices[0]).toMatchObject({ finish_reason: "tool_calls", message: { tool_calls: [{ function: { name: "calculator__calculate" } }] } });
    expect(answer.tool_trace).toMatchObject([{ type: "round", plugin_calls: 0, client_calls: 1 }]);
  });

  it("takes a tool_choice that names a plugin tool, and required with plugin tools alone", async () => {
    const named = (await post({ plugins: "all", tool_choice: { type: "function", function: { name: "time__now" } } })).json();
    expect(named.tool_trace[1]).toMatchObject({ name: "time__now", result: { iso: "2026-01-01T00:00:00.000Z" } });
    expect((await post({ plugins: ["time"], tool_choice: "required" })).json().tool_trace[0]).toMatchObject({ tools: "required" });
  });

  it.each([
    [{ plugins: ["nope"] }, 400, "plugins", /no plugin named "nope" is installed/],
    [{ plugins: ["broken"] }, 409, "plugins", /"broken" cannot run now/],
    [{ plugins: "some" }, 400, "plugins", /plugins must be "all" or an array of installed plugin names/],
    [{ plugins: [3] }, 400, "plugins.0", /must be a string/],
    [{ max_tool_rounds: 0 }, 400, "max_tool_rounds", /at least 1/],
    [{ plugin_tool_choice: "always" }, 400, "plugin_tool_choice", /"auto" or "required"/],
  ])("refuses %j with %i naming the param", async (body, status, param, message) => {
    const answer = await post(body);
    expect(answer.status).toBe(status);
    expect(answer.json().error).toMatchObject({ param, message: expect.stringMatching(message) });
  });

  it("streams the trace as chunks with empty choices, then the answer's text, and no error key", async () => {
    const { status, text } = await post({ plugins: ["calculator"], stream: true, stream_options: { include_usage: true } });
    expect(status).toBe(200);
    const events = text.split("\n\n").filter(Boolean);
    expect(events.at(-1)).toBe("data: [DONE]");
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.slice("data: ".length)));
    for (const chunk of chunks) {
      expect(chunk.object).toBe("chat.completion.chunk");
      expect(chunk.error).toBeUndefined();
    }
    const traced = chunks.filter((c) => c.tool_trace);
    expect(traced.map((c) => c.choices)).toEqual([[], []]);
    expect(traced.flatMap((c) => c.tool_trace).map((e: { type: string }) => e.type)).toEqual(["round", "tool_call", "round"]);
    const content = chunks.flatMap((c) => c.choices.map((choice: { delta: { content?: string } }) => choice.delta.content ?? "")).join("");
    expect(content).toBe("tools seen: calculator__calculate");
    // No piece of the plugin call reaches the client as a tool call.
    expect(chunks.some((c) => c.choices[0]?.delta.tool_calls)).toBe(false);
    expect(chunks.at(-1).usage.prompt_tokens).toBeGreaterThan(0);
  });
});
