/**
 * The Ollama listener's app in-process, over the fake engine: validation and error shapes, the
 * routes that need no model file, NDJSON streams, and the listener's own Origin rule.
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { FakeEngine, type FakeEngineOptions } from "../engine/fake-engine.js";
import { ShimmyError } from "../errors.js";
import { createLogger } from "../logger.js";
import { createOllamaApp, ollamaPortOf, type OllamaAppOptions } from "./ollama-app.js";

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** Starts the Ollama app over a fake engine and returns a request helper. */
async function start(engineOptions: FakeEngineOptions = {}, options: Partial<OllamaAppOptions> = {}) {
  const engine = new FakeEngine(engineOptions);
  const app = createOllamaApp({ engine, logger: createLogger("silent"), maxBodyBytes: 1 << 20, listenHost: "127.0.0.1", ...options });
  server = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server!.once("listening", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const request = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(base + path, body === undefined ? { method, headers } : { method, headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
    const text = await response.text();
    return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text) as Record<string, unknown> };
  };
  return { engine, request };
}

const lines = (text: string) => text.trim().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);

describe("the Ollama listener's app", () => {
  it("answers the root, the version and the tags as Ollama does", async () => {
    const { request } = await start();
    const root = await request("GET", "/");
    expect(root.status).toBe(200);
    expect(root.text).toBe("Ollama is running");
    expect((await request("HEAD", "/")).status).toBe(200);
    expect((await request("GET", "/api/version")).json().version).toMatch(/^\d+\.\d+\.\d+$/);
    const tags = (await request("GET", "/api/tags")).json() as { models: { name: string }[] };
    expect(tags.models.map((m) => m.name)).toEqual(["fake-chat:latest", "fake-embed:latest"]);
  });

  it("renders errors as {\"error\": message} with the catalog's status: bad bodies, unknown models and routes", async () => {
    const { request } = await start();
    const noModel = await request("POST", "/api/chat", { messages: [] });
    expect(noModel.status).toBe(400);
    expect(noModel.json()).toEqual({ error: expect.stringContaining("model") });
    const badRole = await request("POST", "/api/chat", { model: "fake-chat", messages: [{ role: "robot", content: "x" }] });
    expect(badRole.status).toBe(400);
    expect(badRole.json().error).toMatch(/messages\.0\.role.*robot/);
    const unknown = await request("POST", "/api/chat", { model: "nope", messages: [{ role: "user", content: "hi" }] });
    expect(unknown.status).toBe(404);
    expect(unknown.json()).toEqual({ error: expect.stringContaining("nope") });
    const route = await request("GET", "/v1/models");
    expect(route.status).toBe(404);
    expect(route.json().error).toMatch(/Ollama listener/);
    const form = await request("POST", "/api/chat", undefined, { "content-type": "text/plain" });
    expect(form.status).toBe(415);
    expect(Object.keys(form.json())).toEqual(["error"]);
  });

  it("refuses images, thinking, logprobs, a template and an old context with a 400 naming the field", async () => {
    const { request } = await start();
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ["/api/chat", { messages: [{ role: "user", content: "see", images: ["aGk="] }] }, /images are not supported/],
      ["/api/chat", { messages: [{ role: "user", content: "hi" }], think: true }, /does not support thinking/],
      ["/api/chat", { messages: [{ role: "user", content: "hi" }], logprobs: true }, /logprobs/],
      ["/api/chat", { messages: [{ role: "user", content: "hi" }], format: "yaml" }, /format is "yaml"/],
      ["/api/generate", { prompt: "hi", images: ["aGk="] }, /images are not supported/],
      ["/api/generate", { prompt: "hi", template: "{{ .Prompt }}" }, /template is not supported/],
      ["/api/generate", { prompt: "hi", context: [1, 2, 3] }, /context is not supported/],
      ["/api/generate", { prompt: "hi", raw: true, format: "json" }, /format needs the model's chat template/],
    ];
    for (const [path, body, message] of cases) {
      const answer = await request("POST", path, { model: "fake-chat", stream: false, ...body });
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.json().error).toMatch(message);
    }
    // think: false is what every model does anyway.
    expect((await request("POST", "/api/chat", { model: "fake-chat", stream: false, think: false, messages: [{ role: "user", content: "hi" }] })).status).toBe(200);
  });

  it("names Ollama's format field in a refused format schema", async () => {
    const { request } = await start();
    const answer = await request("POST", "/api/chat", { model: "fake-chat", stream: false, messages: [{ role: "user", content: "hi" }], format: { type: "object", properties: { a: { type: "wat" } } } });
    expect(answer.status).toBe(400);
    expect(answer.json().error).toMatch(/^format/);
    expect(answer.json().error).not.toMatch(/response_format/);
  });

  it("answers the model-management routes with a 501 saying what to use instead", async () => {
    const { request } = await start();
    for (const [method, route, hint] of [["POST", "pull", "shimmy pull"], ["POST", "push", "Hugging Face"], ["POST", "create", "models folder"], ["POST", "copy", "alias"], ["DELETE", "delete", "shimmy rm"]] as const) {
      const answer = await request(method, `/api/${route}`, { model: "x" });
      expect(answer.status).toBe(501);
      expect(answer.json().error).toContain(hint);
    }
  });

  it("streams a chat as NDJSON lines that end with done, its timings and counts", async () => {
    const { request } = await start();
    const answer = await request("POST", "/api/chat", { model: "fake-chat:latest", messages: [{ role: "user", content: "one two three" }], options: { seed: 1 }, keep_alive: "10m" });
    expect(answer.status).toBe(200);
    expect(answer.headers.get("content-type")).toBe("application/x-ndjson");
    const all = lines(answer.text);
    const last = all.at(-1)!;
    expect(all.slice(0, -1).every((line) => line.done === false && line.model === "fake-chat:latest")).toBe(true);
    expect(all.slice(0, -1).map((line) => (line.message as { content: string }).content).join("")).toBe("You said: one two three");
    expect(last).toMatchObject({ done: true, done_reason: "stop", message: { role: "assistant", content: "" }, eval_count: 5, prompt_eval_count: 6 });
    for (const field of ["total_duration", "load_duration", "prompt_eval_duration", "eval_duration"]) expect(Number.isInteger(last[field])).toBe(true);
  });

  it("answers one object with stream false, cut at num_predict with done_reason length", async () => {
    const { request } = await start();
    const answer = (await request("POST", "/api/chat", { model: "fake-chat", stream: false, messages: [{ role: "user", content: "one two three" }], options: { num_predict: 2 } })).json();
    expect(answer).toMatchObject({ done: true, done_reason: "length", message: { role: "assistant", content: "You said: " }, eval_count: 2 });
  });

  it("returns tool calls with their arguments as objects, streamed or not", async () => {
    const { request } = await start({ answer: () => ({ toolCalls: [{ name: "get_weather", arguments: '{"city":"Oslo"}' }] }) });
    const tools = [{ type: "function", function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } } }];
    const whole = (await request("POST", "/api/chat", { model: "fake-chat", stream: false, tools, messages: [{ role: "user", content: "weather?" }] })).json();
    expect(whole).toMatchObject({ done: true, done_reason: "stop", message: { tool_calls: [{ function: { name: "get_weather", arguments: { city: "Oslo" } } }] } });
    const streamed = lines((await request("POST", "/api/chat", { model: "fake-chat", tools, messages: [{ role: "user", content: "weather?" }] })).text);
    expect(streamed.find((line) => (line.message as { tool_calls?: unknown }).tool_calls)).toMatchObject({ done: false, message: { tool_calls: [{ function: { arguments: { city: "Oslo" } } }] } });
    expect(streamed.at(-1)).toMatchObject({ done: true });
  });

  it("sends the conversation's tool results back to the engine as the calls they answer", async () => {
    const { request, engine } = await start();
    await request("POST", "/api/chat", {
      model: "fake-chat", stream: false,
      messages: [
        { role: "user", content: "weather?" },
        { role: "assistant", content: "", tool_calls: [{ function: { name: "get_weather", arguments: { city: "Oslo" } } }] },
        { role: "tool", content: "snow", tool_name: "get_weather" },
      ],
    });
    const turns = (engine.requests.at(-1) as { turns: unknown[] }).turns;
    expect(turns.slice(1)).toEqual([
      { role: "assistant", text: "", toolCalls: [{ id: "call_1_0", name: "get_weather", arguments: '{"city":"Oslo"}' }] },
      { role: "tool", toolCallId: "call_1_0", text: "snow" },
    ]);
  });

  it("ends a stream that fails midway with an {\"error\"} line", async () => {
    // The fake writes text where JSON was asked: the check after the stream began fails it.
    const { request } = await start({ answer: () => ({ text: "not json at all" }) });
    const all = lines((await request("POST", "/api/chat", { model: "fake-chat", format: "json", messages: [{ role: "user", content: "hi" }] })).text);
    expect(all.at(-1)).toEqual({ error: expect.any(String) });
    expect(all.at(-2)).toMatchObject({ done: false });
  });

  it("generates with the chat template, raw, and fills in the middle with suffix", async () => {
    const { request, engine } = await start();
    const templated = (await request("POST", "/api/generate", { model: "fake-chat", prompt: "hello", system: "sys", stream: false })).json();
    expect(templated).toMatchObject({ response: "You said: hello", done: true, done_reason: "stop" });
    expect((engine.requests.at(-1) as { turns: unknown[] }).turns).toEqual([{ role: "system", text: "sys" }, { role: "user", text: "hello" }]);
    const raw = lines((await request("POST", "/api/generate", { model: "fake-chat", prompt: "hello", raw: true })).text);
    expect(raw.slice(0, -1).map((line) => line.response).join("")).toBe("You said: hello");
    expect((engine.requests.at(-1) as { prompt: string }).prompt).toBe("hello");
    const infill = (await request("POST", "/api/generate", { model: "fake-chat", prompt: "def f(", suffix: "return x", stream: false })).json();
    expect(infill).toMatchObject({ response: "You said: def f(", done: true });
    expect(engine.requests.at(-1)).toMatchObject({ prefix: "def f(", suffix: "return x" });
  });

  it("loads a model for a request with nothing to generate, and unloads it with keep_alive 0", async () => {
    const { request, engine } = await start();
    expect((await request("POST", "/api/generate", { model: "fake-chat" })).json()).toMatchObject({ done: true, done_reason: "load", response: "" });
    expect(engine.modelState("fake-chat").loaded).toBe(true);
    const ps = (await request("GET", "/api/ps")).json() as { models: { name: string }[] };
    expect(ps.models.map((m) => m.name)).toEqual(["fake-chat:latest"]);
    expect((await request("POST", "/api/chat", { model: "fake-chat", messages: [], keep_alive: 0 })).json()).toMatchObject({ done: true, done_reason: "unload" });
    expect(engine.modelState("fake-chat").loaded).toBe(false);
  });

  it("embeds with /api/embed and the older /api/embeddings", async () => {
    const { request } = await start();
    const embed = (await request("POST", "/api/embed", { model: "fake-embed:latest", input: ["a b", "c"] })).json() as { embeddings: number[][]; prompt_eval_count: number; model: string };
    expect(embed.model).toBe("fake-embed:latest");
    expect(embed.embeddings).toHaveLength(2);
    expect(embed.embeddings[0]).toHaveLength(8);
    expect(embed.prompt_eval_count).toBe(3);
    const one = (await request("POST", "/api/embeddings", { model: "fake-embed", prompt: "a b" })).json() as { embedding: number[] };
    expect(one.embedding).toEqual(embed.embeddings[0]);
    expect((await request("POST", "/api/embeddings", { model: "fake-embed", prompt: "" })).json()).toEqual({ embedding: [] });
    expect((await request("POST", "/api/embed", { model: "fake-embed", input: [] })).status).toBe(400);
  });

  it("reports an engine failure before any output as an ordinary error response", async () => {
    const { request } = await start({ fail: () => new ShimmyError("context_length_exceeded", "too long") });
    const answer = await request("POST", "/api/chat", { model: "fake-chat", messages: [{ role: "user", content: "hi" }] });
    expect(answer.status).toBe(400);
    expect(answer.json()).toEqual({ error: "too long" });
  });

  it("allows Ollama's desktop-app origins and loopback pages, refuses others, and wants the API key", async () => {
    const { request } = await start({}, { apiKey: "sekrit" });
    const auth = { authorization: "Bearer sekrit" };
    for (const origin of ["app://obsidian.md", "tauri://localhost", "vscode-webview://abc", "file://", "http://localhost:5173"]) {
      const answer = await request("GET", "/api/tags", undefined, { origin, ...auth });
      expect(answer.status, origin).toBe(200);
      expect(answer.headers.get("access-control-allow-origin")).toBe(origin);
    }
    const evil = await request("GET", "/api/tags", undefined, { origin: "https://evil.example", ...auth });
    expect(evil.status).toBe(403);
    expect(evil.json().error).toMatch(/evil\.example/);
    const noKey = await request("GET", "/api/tags");
    expect(noKey.status).toBe(401);
    expect(Object.keys(noKey.json())).toEqual(["error"]);
  });
});

describe("ollamaPortOf", () => {
  it("is off by default, 11434 with --ollama-api, and --ollama-port wins", () => {
    expect(ollamaPortOf({ ollamaPort: null, ollamaApi: false })).toBeNull();
    expect(ollamaPortOf({ ollamaPort: null, ollamaApi: true })).toBe(11434);
    expect(ollamaPortOf({ ollamaPort: 0, ollamaApi: true })).toBe(0);
  });
});
