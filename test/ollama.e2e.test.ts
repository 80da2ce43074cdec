/**
 * Ollama's native API end to end: one real server started with `--ollama-port 0`, serving the chat
 * fixture (a tiny llama with the ChatML template) and the BERT embedding fixture, driven by the real
 * `ollama` npm client, plus raw HTTP where Open WebUI's request shapes and the Origin rule are checked.
 */
import { Ollama } from "ollama";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startShimmy, type ShimmyProcess } from "./helpers/shimmy-process.js";

let shimmy: ShimmyProcess;
let ollamaUrl: string;
let ollama: Ollama;

beforeAll(async () => {
  const { chat, bert } = inject("fixtureModels");
  shimmy = await startShimmy({ args: ["--model", chat, "--model", bert, "--ollama-port", "0", "--threads", "1", "--no-discovery"] });
  // Written right after the main line, in the same tick; the wait only covers the pipe.
  for (let i = 0; i < 100 && shimmy.stdout.length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 20));
  ollamaUrl = (JSON.parse(shimmy.stdout[1]!) as { url: string }).url;
  ollama = new Ollama({ host: ollamaUrl });
});
afterAll(() => shimmy?.stop());

const CHAT = "chat-llama:latest";
// Random weights: greedy sampling and a short answer keep every run the same and quick.
const GREEDY = { temperature: 0, num_predict: 12 };
const WEATHER = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Current weather in a city",
    parameters: {
      type: "object",
      properties: { city: { type: "string", enum: ["Oslo", "Lima", "Pune"] }, unit: { type: "string", enum: ["C", "F"] } },
      required: ["city", "unit"],
    },
  },
};

describe("the Ollama listener", () => {
  it("prints a second listening line after the unchanged main one", () => {
    expect(Object.keys(JSON.parse(shimmy.stdout[0]!) as object)).toEqual(["event", "url"]);
    expect(JSON.parse(shimmy.stdout[1]!)).toEqual({ event: "listening", api: "ollama", url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/) });
    expect(ollamaUrl).not.toBe(shimmy.url);
  });

  it("lists the models as name:latest and shows their GGUF metadata and capabilities", async () => {
    const { models } = await ollama.list();
    // Besides the files, the routes of the main listener's /v1/models (such as `auto`) are listed too.
    expect(models.map((m) => m.name)).toEqual(expect.arrayContaining(["bert:latest", "chat-llama:latest"]));
    expect(models.find((m) => m.name === CHAT)?.details).toMatchObject({ format: "gguf", family: "llama" });

    const chat = await ollama.show({ model: CHAT });
    const info = chat.model_info as unknown as Record<string, unknown>;
    expect(info["general.architecture"]).toBe("llama");
    expect(info["llama.context_length"]).toEqual(expect.any(Number));
    // The llama decoder embeds too (last-token embeddings), as /v1/embeddings serves it.
    expect(chat.capabilities).toEqual(["completion", "tools", "embedding"]);
    expect(chat.parameters).toMatch(/^num_ctx \d+/);
    expect(chat.template).toContain("<|im_start|>");
    const bert = await ollama.show({ model: "bert" });
    expect(bert.capabilities).toEqual(["embedding"]);
    expect((bert.model_info as unknown as Record<string, unknown>)["bert.context_length"]).toEqual(expect.any(Number));
  });

  it("chats with one answer and as a stream, the same text both ways, with counts and nanosecond timings", async () => {
    const messages = [{ role: "user", content: "Tell me a story." }];
    const whole = await ollama.chat({ model: CHAT, messages, options: GREEDY });
    expect(whole).toMatchObject({ model: CHAT, done: true, message: { role: "assistant" } });
    expect(whole.eval_count).toBeGreaterThan(0);
    expect(whole.eval_count).toBeLessThanOrEqual(12);
    expect(whole.prompt_eval_count).toBeGreaterThan(3);
    expect(whole.total_duration).toBeGreaterThan(whole.eval_duration);
    expect(whole.eval_duration).toBeGreaterThan(0);

    let text = "";
    let last;
    for await (const part of await ollama.chat({ model: CHAT, messages, options: GREEDY, stream: true })) {
      text += part.message.content;
      last = part;
    }
    expect(text).toBe(whole.message.content);
    expect(last).toMatchObject({ done: true, done_reason: whole.done_reason, eval_count: whole.eval_count });
  });

  it("generates with the chat template and raw, streamed", async () => {
    const templated = await ollama.generate({ model: CHAT, prompt: "Hello", system: "Be brief.", options: GREEDY });
    expect(templated.done).toBe(true);
    expect(templated.response?.length).toBeGreaterThan(0);
    let raw = "";
    for await (const part of await ollama.generate({ model: CHAT, prompt: "Once upon a time", raw: true, options: GREEDY, stream: true })) raw += part.response;
    expect(raw.length).toBeGreaterThan(0);
    // Raw sends the prompt alone: fewer prompt tokens than the same prompt in the template.
    const rawCount = await ollama.generate({ model: CHAT, prompt: "Hello", raw: true, options: { num_predict: 1 } });
    expect(rawCount.prompt_eval_count).toBeLessThan(templated.prompt_eval_count);
    // suffix fills in the middle with the model's FIM tokens, which this fixture has none of.
    await expect(ollama.generate({ model: CHAT, prompt: "def f(", suffix: "return x" })).rejects.toMatchObject({ status_code: 400, error: expect.stringMatching(/fill|infill|FIM/i) });
  });

  it("answers JSON that matches a format schema", async () => {
    const format = { type: "object", properties: { city: { type: "string", enum: ["Oslo", "Lima"] }, ok: { type: "boolean" } }, required: ["city", "ok"] };
    const answer = await ollama.chat({ model: CHAT, messages: [{ role: "user", content: "Where?" }], format, options: { seed: 1, num_predict: 200 } });
    const parsed = JSON.parse(answer.message.content) as { city: string; ok: boolean };
    expect(["Oslo", "Lima"]).toContain(parsed.city);
    expect(typeof parsed.ok).toBe("boolean");
  });

  it("returns a tool call with its arguments as an object, and takes the result back by tool_name", async () => {
    // Ollama has no tool_choice; Shimmy's extension forces the call random weights would not make.
    const request = { model: CHAT, messages: [{ role: "user", content: "Weather in Oslo?" }], tools: [WEATHER], tool_choice: "required", options: { seed: 1, num_predict: 300 } };
    const answer = await ollama.chat(request as Parameters<Ollama["chat"]>[0] & { stream?: false });
    const call = answer.message.tool_calls?.[0];
    expect(call?.function.name).toBe("get_weather");
    expect(["Oslo", "Lima", "Pune"]).toContain((call?.function.arguments as { city: string }).city);
    expect(answer.done_reason).toBe("stop");

    const followUp = await ollama.chat({
      model: CHAT, options: GREEDY, tools: [WEATHER],
      messages: [...request.messages, answer.message, { role: "tool", content: '{"temp": 3}', tool_name: "get_weather" }],
    });
    expect(followUp.done).toBe(true);
    expect(followUp.prompt_eval_count).toBeGreaterThan(answer.prompt_eval_count);
  });

  it("embeds with /api/embed and the older /api/embeddings", async () => {
    // The chat model, already loaded, embeds too (last-token pooling): no second model to load here;
    // test/embeddings.e2e.test.ts covers the BERT encoder on the same engine path.
    const { embeddings, prompt_eval_count } = await ollama.embed({ model: CHAT, input: ["hello world", "once upon a time"] });
    expect(embeddings).toHaveLength(2);
    expect(embeddings[0]).toHaveLength(64);
    expect(Math.hypot(...embeddings[0]!)).toBeCloseTo(1, 4);
    expect(prompt_eval_count).toBeGreaterThan(4);
    const { embedding } = await ollama.embeddings({ model: "chat-llama", prompt: "hello world" });
    embedding.forEach((x, i) => expect(x).toBeCloseTo(embeddings[0]![i]!, 5));
  });

  it("speaks Open WebUI's request shapes: version, tags, and a streamed chat with options and keep_alive", async () => {
    const version = (await (await fetch(`${ollamaUrl}/api/version`)).json()) as { version: string };
    expect(version.version.split(".").map(Number).every(Number.isInteger)).toBe(true);
    const tags = (await (await fetch(`${ollamaUrl}/api/tags`)).json()) as { models: { name: string }[] };
    expect(tags.models.map((m) => m.name)).toContain(CHAT);
    const response = await fetch(`${ollamaUrl}/api/chat`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        model: CHAT, stream: true, keep_alive: "5m",
        messages: [{ role: "system", content: "You are helpful." }, { role: "user", content: "Hi" }],
        options: { temperature: 0.8, top_p: 0.9, top_k: 40, num_ctx: 2048, num_predict: 8, repeat_penalty: 1.1, seed: 3, stop: ["\n\n"] },
      }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/x-ndjson");
    const lines = (await response.text()).trim().split("\n").map((line) => JSON.parse(line) as { done: boolean });
    expect(lines.at(-1)).toMatchObject({ done: true, model: CHAT });
    expect(lines.slice(0, -1).every((line) => !line.done)).toBe(true);
    const ps = await ollama.ps();
    expect(ps.models.map((m) => m.name)).toContain(CHAT);
    // Its log line says which listener it came by.
    expect(await shimmy.waitForLog((line) => line.event === "request" && line.route === "/api/chat" && line.api === "ollama")).toMatchObject({ status: 200, model: CHAT });
  });

  it("allows an Obsidian origin on the Ollama listener and refuses it on the main one", async () => {
    const headers = { origin: "app://obsidian.md" };
    const onOllama = await fetch(`${ollamaUrl}/api/tags`, { headers });
    expect(onOllama.status).toBe(200);
    expect(onOllama.headers.get("access-control-allow-origin")).toBe("app://obsidian.md");
    const onMain = await fetch(`${shimmy.url}/v1/models`, { headers });
    expect(onMain.status).toBe(403);
  });

  it("answers model management with a 501 through the client", async () => {
    await expect(ollama.pull({ model: "llama3.2" })).rejects.toMatchObject({ status_code: 501, error: expect.stringContaining("shimmy pull") });
  });

  it("closes the Ollama listener when the server stops", async () => {
    await shimmy.stop();
    await expect(fetch(`${ollamaUrl}/api/version`)).rejects.toThrow();
  });
});
