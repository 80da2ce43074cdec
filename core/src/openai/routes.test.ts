/**
 * The `/v1` routes and `/api/models` in process: the real Koa app of `createApp` over a
 * {@link FakeEngine}, on a loopback port. What these check needs no model; the end-to-end tests
 * in `test/` run the same routes over llama.cpp.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeEngine } from "../engine/fake-engine.js";
import { retryLater } from "../errors.js";
import { startTestApp, type TestApp } from "../http/test-app.fixture.js";

let app: TestApp;
const engine = new FakeEngine({
  fail: (request) => ("turns" in request && request.turns.some((turn) => turn.text === "overload") ? retryLater("All slots are busy.", { retryAfterSeconds: 3 }) : undefined),
});

beforeAll(async () => {
  app = await startTestApp({ engine });
});

afterAll(async () => {
  await app.close();
  await engine.dispose();
});

const post = (path: string, body: unknown, headers: Record<string, string> = {}) => app.request("POST", path, body, headers);

const chat = (extra: Record<string, unknown> = {}) => ({ model: "fake-chat", messages: [{ role: "user", content: "hello there" }], ...extra });

describe("/v1 over a fake engine", () => {
  it("lists the models", async () => {
    const body = (await app.request("GET", "/v1/models")).json() as { data: { id: string }[] };
    expect(body.data.map((m) => m.id)).toEqual(["fake-chat", "fake-embed"]);
  });

  it("answers a chat completion with the engine's text and token counts", async () => {
    const { status, json } = await post("/v1/chat/completions", chat());
    expect(status).toBe(200);
    expect(json()).toMatchObject({
      object: "chat.completion",
      model: "fake-chat",
      choices: [{ index: 0, message: { role: "assistant", content: "You said: hello there" }, finish_reason: "stop" }],
      usage: { prompt_tokens: 5, completion_tokens: 4, total_tokens: 9 },
    });
  });

  it("streams a chat completion as SSE chunks that add up to the text, then [DONE]", async () => {
    const { status, headers, text } = await post("/v1/chat/completions", chat({ stream: true }));
    expect(status).toBe(200);
    expect(headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    const events = text.split("\n\n").filter(Boolean).map((event) => event.replace(/^data: /, ""));
    expect(events.at(-1)).toBe("[DONE]");
    const chunks = events.slice(0, -1).map((event) => JSON.parse(event));
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("")).toBe("You said: hello there");
    expect(chunks.at(-1).choices[0].finish_reason).toBe("stop");
  });

  it("cuts an answer at max_tokens with finish_reason length", async () => {
    const { json } = await post("/v1/chat/completions", chat({ max_tokens: 2 }));
    expect(json().choices[0]).toMatchObject({ message: { content: "You said: " }, finish_reason: "length" });
  });

  it("returns the engine's tool calls with finish_reason tool_calls", async () => {
    const tools = [{ type: "function", function: { name: "get_time", parameters: { type: "object", properties: {} } } }];
    const { json } = await post("/v1/chat/completions", chat({ tools, tool_choice: "required" }));
    expect(json().choices[0]).toMatchObject({
      finish_reason: "tool_calls",
      message: { tool_calls: [{ id: "call_fake_0", type: "function", function: { name: "get_time", arguments: "{}" } }] },
    });
  });

  it("answers a text completion", async () => {
    const { json } = await post("/v1/completions", { model: "fake-chat", prompt: "one two" });
    expect(json()).toMatchObject({ object: "text_completion", choices: [{ text: "You said: one two", finish_reason: "stop" }] });
  });

  it("embeds inputs in order, as floats or base64", async () => {
    const floats = (await post("/v1/embeddings", { model: "fake-embed", input: ["a", "b"] })).json();
    expect(floats.data.map((d: { index: number }) => d.index)).toEqual([0, 1]);
    expect(floats.data[0].embedding).toHaveLength(8);
    const base64 = (await post("/v1/embeddings", { model: "fake-embed", input: "a", encoding_format: "base64" })).json();
    expect(Buffer.from(base64.data[0].embedding, "base64")).toHaveLength(8 * 4);
  });

  it.each([
    ["/v1/chat/completions", chat({ temperature: 5 }), "temperature"],
    ["/v1/chat/completions", { messages: [] }, "model"],
    ["/v1/completions", { model: "fake-chat" }, "prompt"],
    ["/v1/embeddings", { model: "fake-embed", input: [] }, "input"],
    ["/v1/embeddings", { model: "fake-embed", input: "a", dimensions: "8" }, "dimensions"],
  ])("refuses a bad body on %s with invalid_parameter naming %j", async (path, body, param) => {
    const { status, json } = await post(path, body);
    expect(status).toBe(400);
    expect(json().error).toMatchObject({ code: "invalid_parameter", type: "invalid_request_error", param });
  });

  it("answers an unknown model with 404 model_not_found", async () => {
    const { status, json } = await post("/v1/chat/completions", chat({ model: "nope" }));
    expect(status).toBe(404);
    expect(json().error).toMatchObject({ code: "model_not_found", param: "model" });
  });

  it("passes the engine's 503 on with its Retry-After", async () => {
    const { status, headers, json } = await post("/v1/chat/completions", { model: "fake-chat", messages: [{ role: "user", content: "overload" }] });
    expect(status).toBe(503);
    expect(headers.get("retry-after")).toBe("3");
    expect(json().error).toMatchObject({ code: "server_overloaded", type: "server_error" });
  });
});

describe("/api/models over a fake engine", () => {
  it("refuses a load without a model, naming the parameter, as /v1 does", async () => {
    for (const body of [{}, { model: "" }, { model: 3 }]) {
      const { status, json } = await post("/api/models/load", body);
      expect(status).toBe(400);
      expect(json().error).toMatchObject({ code: "invalid_parameter", param: "model" });
    }
  });

  it("streams load progress as SSE with the same headers as /v1, then the result and [DONE]", async () => {
    const { status, headers, text } = await post("/api/models/load", { model: "fake-chat" }, { accept: "text/event-stream" });
    expect(status).toBe(200);
    expect(headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    expect(headers.get("x-accel-buffering")).toBe("no");
    const events = text.split("\n\n").filter(Boolean);
    expect(events.at(-1)).toBe("data: [DONE]");
    expect(JSON.parse(events.at(-2)!.slice("data: ".length))).toMatchObject({ model: "fake-chat", loaded: true });
  });

  it("unloads a loaded model", async () => {
    await post("/api/models/load", { model: "fake-chat" });
    const { json } = await post("/api/models/unload", { model: "fake-chat" });
    expect(json()).toEqual({ model: "fake-chat", loaded: false });
  });
});
