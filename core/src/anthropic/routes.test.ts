/**
 * `/v1/messages` in process: the real Koa app over a {@link FakeEngine} (the engine is not the
 * point here: validation, translation, event order, errors in Anthropic's shape, the API key).
 * `test/anthropic.e2e.test.ts` runs the same routes over llama.cpp with Anthropic's own SDK.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeEngine, fakeModel } from "../engine/fake-engine.js";
import type { ChatRequest, Engine } from "../engine/types.js";
import { retryLater } from "../errors.js";
import { startTestApp, type TestApp } from "../http/test-app.fixture.js";
import type { InstalledPlugins } from "../plugins/installed-plugins.js";
import { fakePlugins } from "../tools/fake-plugins.fixture.js";

const engine = new FakeEngine({
  models: [fakeModel("fake-chat"), fakeModel("tool-chat"), fakeModel("busy-chat")],
  fail: (request) => ((request as ChatRequest).model === "busy-chat" ? retryLater("Every slot is busy.") : undefined),
});
const plugins = Object.assign(fakePlugins(), { health: () => ({ ready: 3, failed: [] }) }) as unknown as InstalledPlugins;
let app: TestApp;
let keyed: TestApp;
let failing: TestApp;

/** An engine whose chat streams one piece of text and then fails, as a crash mid-answer would. */
const midwayFailure: Engine = Object.assign(Object.create(engine) as Engine, {
  chat: async (request: ChatRequest) => {
    request.onText?.("Hello");
    throw new Error("llama.cpp went away at /secret/path");
  },
});

beforeAll(async () => {
  [app, keyed, failing] = await Promise.all([
    startTestApp({ engine, plugins, defaultPlugins: { "tool-chat": ["calculator"] } }),
    startTestApp({ engine, apiKey: "sekret" }),
    startTestApp({ engine: midwayFailure }),
  ]);
});
afterAll(async () => {
  await Promise.all([app.close(), keyed.close(), failing.close()]);
  await engine.dispose();
});

const HEADERS = { "anthropic-version": "2023-06-01" };
const body = (extra: Record<string, unknown> = {}) => ({ model: "fake-chat", max_tokens: 64, messages: [{ role: "user", content: "hello there" }], ...extra });
const post = (extra: Record<string, unknown> = {}, target = app) => target.request("POST", "/v1/messages", body(extra), HEADERS);
const lastChat = () => engine.requests.at(-1) as ChatRequest;
// Nothing required: the fake engine calls tools with `{}`.
const WEATHER = { name: "get_weather", description: "Weather", input_schema: { type: "object", properties: { city: { type: "string" } } } };

/** `[event name, data]` of every frame of an event stream. */
const frames = (text: string) =>
  text.split("\n\n").filter(Boolean).map((frame) => {
    const [event, data] = frame.split("\n");
    return [event!.slice("event: ".length), JSON.parse(data!.slice("data: ".length))] as [string, Record<string, unknown>];
  });

describe("POST /v1/messages", () => {
  it("answers in Anthropic's message shape, with the anthropic-version header ignored", async () => {
    const { status, json } = await post();
    expect(status).toBe(200);
    const answer = json();
    expect(answer.id).toMatch(/^msg_[A-Za-z0-9]{24}$/);
    expect(answer).toEqual({
      id: answer.id, type: "message", role: "assistant", model: "fake-chat", content: [{ type: "text", text: "You said: hello there" }],
      stop_reason: "end_turn", stop_sequence: null, usage: { input_tokens: 5, output_tokens: 4 },
    });
  });

  it("sends system, tools, tool_choice and the sampling fields through the chat core", async () => {
    const { json } = await post({
      system: [{ type: "text", text: "Be brief", cache_control: { type: "ephemeral" } }],
      tools: [WEATHER], tool_choice: { type: "tool", name: "get_weather" },
      stop_sequences: ["END"], temperature: 0.5, top_p: 0.9, top_k: 10, metadata: { user_id: "u1" },
    });
    const chat = lastChat();
    expect(chat.turns).toEqual([{ role: "system", text: "Be brief" }, { role: "user", text: "hello there" }]);
    expect(chat.tools?.map((t) => t.name)).toEqual(["get_weather"]);
    expect(chat.toolChoice).toEqual({ mode: "named", name: "get_weather" });
    expect(chat.sampling).toEqual({ stop: ["END"], maxTokens: 64, temperature: 0.5, topP: 0.9, topK: 10 });
    expect(json()).toMatchObject({ stop_reason: "tool_use", content: [{ type: "tool_use", id: "call_fake_0", name: "get_weather", input: {} }] });
  });

  it("maps tool_choice any to a required call and none to no call", async () => {
    await post({ tools: [WEATHER], tool_choice: { type: "any" } });
    expect(lastChat().toolChoice).toEqual({ mode: "required" });
    const none = (await post({ tools: [WEATHER], tool_choice: { type: "none" } })).json();
    expect(none).toMatchObject({ stop_reason: "end_turn", content: [{ type: "text" }] });
  });

  it("reports the stop sequence that ended the answer and a max_tokens cut", async () => {
    expect((await post({ stop_sequences: ["there"] })).json()).toMatchObject({ stop_reason: "stop_sequence", stop_sequence: "there", content: [{ text: "You said: hello " }] });
    expect((await post({ max_tokens: 2 })).json()).toMatchObject({ stop_reason: "max_tokens", stop_sequence: null, usage: { output_tokens: 2 } });
  });

  it("streams Anthropic's event sequence", async () => {
    const { status, headers, text } = await post({ stream: true });
    expect(status).toBe(200);
    expect(headers.get("content-type")).toMatch(/^text\/event-stream/);
    const events = frames(text);
    expect(events.map(([name]) => name)).toEqual([
      "message_start", "content_block_start", "content_block_delta", "content_block_delta", "content_block_delta", "content_block_delta", "content_block_stop", "message_delta", "message_stop",
    ]);
    for (const [name, data] of events) expect(data.type).toBe(name);
    expect(events.filter(([name]) => name === "content_block_delta").map(([, d]) => (d.delta as { text: string }).text).join("")).toBe("You said: hello there");
    expect(events.at(-2)![1]).toEqual({ type: "message_delta", delta: { stop_reason: "end_turn", stop_sequence: null }, usage: { input_tokens: 5, output_tokens: 4 } });
  });

  it("gives a request that names no tools the configured default plugin tools, as chat completions does", async () => {
    const answer = (await post({ model: "tool-chat" })).json();
    const offered = engine.requests.filter((r) => (r as ChatRequest).model === "tool-chat").map((r) => (r as ChatRequest).tools?.map((t) => t.name));
    expect(offered[0]).toEqual(["calculator__calculate"]);
    // The server ran the loop: its trace rides along, as on chat completions.
    expect(answer.tool_trace[0]).toMatchObject({ type: "round", round: 1 });
    expect(answer.type).toBe("message");
  });
});

describe("errors under /v1/messages, in Anthropic's shape", () => {
  it.each([
    [{ max_tokens: undefined }, "max_tokens", /max_tokens/],
    [{ messages: [{ role: "user", content: [{ type: "image", source: { type: "base64", media_type: "image/png", data: "AA==" } }] }] }, "messages.0.content.0.type", /"image".*images, documents and thinking blocks are not supported/],
    [{ messages: [{ role: "user", content: [{ type: "tool_result", tool_use_id: "t", content: [{ type: "image" }] }] }] }, "messages.0.content.0.content.0.type", /"image"/],
    [{ thinking: { type: "enabled", budget_tokens: 1024 } }, "thinking", /thinking is not supported/],
    [{ tools: [{ type: "web_search_20250305", name: "web_search" }] }, "tools.0.type", /server tools do not run here/],
    [{ tools: [{ name: "x" }] }, "tools.0.input_schema", /input_schema/],
    [{ tool_choice: { type: "tool" } }, "tool_choice.name", /name/],
    [{ tool_choice: { type: "sometimes" } }, "tool_choice.type", /"auto", "any", "tool" or "none"/],
    [{ messages: [{ role: "user", content: "hi" }, { role: "assistant", content: "The answer is" }] }, "messages.1", /prefill\) is not supported/],
    [{ messages: [{ role: "assistant", content: [{ type: "tool_result", tool_use_id: "t" }] }, { role: "user", content: "hi" }] }, "messages.0.content.0.type", /assistant message may hold text and tool_use blocks only/],
    [{ temperature: 1.5 }, "temperature", /temperature/],
    [{ tools: [WEATHER], tool_choice: { type: "tool", name: "nope" } }, "tool_choice.name", /nope/],
  ])("refuses %j with a 400 invalid_request_error naming the field", async (extra, param, message) => {
    const { status, json } = await post(extra);
    expect(status).toBe(400);
    const error = json();
    expect(error).toEqual({ type: "error", error: { type: "invalid_request_error", message: expect.stringMatching(message) } });
    expect(error.error.message).toContain(param);
    expect(JSON.stringify(error)).not.toMatch(/function\./);
  });

  it("answers an unknown model with 404 not_found_error and an unknown path below with 404 too", async () => {
    const unknown = await post({ model: "nope" });
    expect(unknown.status).toBe(404);
    expect(unknown.json()).toMatchObject({ type: "error", error: { type: "not_found_error", message: expect.stringContaining('"nope"') } });
    const batches = await app.request("GET", "/v1/messages/batches");
    expect(batches.status).toBe(404);
    expect(batches.json()).toMatchObject({ type: "error", error: { type: "not_found_error" } });
  });

  it("answers bad JSON with invalid_request_error, and a full queue with 503 overloaded_error and Retry-After, streamed or not", async () => {
    const bad = await fetch(`${app.base}/v1/messages`, { method: "POST", headers: { "content-type": "application/json" }, body: "{" });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
    for (const stream of [false, true]) {
      const busy = await post({ model: "busy-chat", stream });
      expect(busy.status).toBe(503);
      expect(busy.headers.get("retry-after")).toBe("1");
      expect(busy.json()).toEqual({ type: "error", error: { type: "overloaded_error", message: expect.any(String) } });
    }
  });

  it("ends a stream that fails midway with an error event, its details hidden", async () => {
    const { status, text } = await post({ stream: true }, failing);
    expect(status).toBe(200);
    const events = frames(text);
    expect(events.map(([name]) => name)).toEqual(["message_start", "content_block_start", "content_block_delta", "error"]);
    expect(events.at(-1)![1]).toMatchObject({ type: "error", error: { type: "api_error" } });
    expect(text).not.toContain("/secret/path");
  });

  it("leaves other routes' errors in OpenAI's shape", async () => {
    const { json } = await app.request("POST", "/v1/chat/completions", { model: "nope", messages: [{ role: "user", content: "hi" }] });
    expect(json()).toMatchObject({ error: { code: "model_not_found" } });
  });
});

describe("the API key on /v1/messages", () => {
  it("takes x-api-key as Anthropic's clients send it, and Authorization: Bearer", async () => {
    expect((await keyed.request("POST", "/v1/messages", body(), { ...HEADERS, "x-api-key": "sekret" })).status).toBe(200);
    expect((await keyed.request("POST", "/v1/messages", body(), { authorization: "Bearer sekret" })).status).toBe(200);
  });

  it.each([[{ "x-api-key": "wrong" }], [{ authorization: "Bearer wrong" }], [{}]])("refuses %j with 401 authentication_error", async (headers) => {
    const { status, json } = await keyed.request("POST", "/v1/messages", body(), headers);
    expect(status).toBe(401);
    expect(json()).toEqual({ type: "error", error: { type: "authentication_error", message: expect.stringMatching(/API key/) } });
  });
});

describe("POST /v1/messages/count_tokens", () => {
  it("counts the prompt the chat template renders, system included", async () => {
    const { status, json } = await app.request("POST", "/v1/messages/count_tokens", { model: "fake-chat", system: "Be brief", messages: [{ role: "user", content: "hello there" }] });
    expect(status).toBe(200);
    // The fake's template is 3 tokens and it counts words.
    expect(json()).toEqual({ input_tokens: 7 });
  });

  it("refuses what /v1/messages refuses, in Anthropic's shape", async () => {
    const unknown = await app.request("POST", "/v1/messages/count_tokens", { model: "nope", messages: [{ role: "user", content: "hi" }] });
    expect(unknown.status).toBe(404);
    const image = await app.request("POST", "/v1/messages/count_tokens", { model: "fake-chat", messages: [{ role: "user", content: [{ type: "image" }] }] });
    expect(image.status).toBe(400);
    expect(image.json()).toMatchObject({ type: "error", error: { type: "invalid_request_error", message: expect.stringContaining("messages.0.content.0.type") } });
  });

  it("counts through a one-token chat when the engine has no countChatTokens", async () => {
    const plain: Engine = Object.assign(Object.create(engine) as Engine, { countChatTokens: undefined });
    const bare = await startTestApp({ engine: plain });
    try {
      const { json } = await bare.request("POST", "/v1/messages/count_tokens", { model: "fake-chat", messages: [{ role: "user", content: "hello there" }] });
      expect(json()).toEqual({ input_tokens: 5 });
      expect(lastChat().sampling.maxTokens).toBe(1);
    } finally {
      await bare.close();
    }
  });
});
