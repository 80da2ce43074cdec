/**
 * `POST /infill` and `suffix` on `/v1/completions` in process, over a {@link FakeEngine}: the
 * request reaches the engine's `infill` with its parts and sampling, and the answer has llama.cpp's
 * `/completion` shape, whole or streamed. test/fim.e2e.test.ts runs them over llama.cpp.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeEngine, fakeModel } from "../engine/fake-engine.js";
import type { InfillRequest } from "../engine/types.js";
import { startTestApp, type TestApp } from "../http/test-app.fixture.js";
import { toInfillSampling } from "./convert-infill.js";

let app: TestApp;
const engine = new FakeEngine();

beforeAll(async () => {
  app = await startTestApp({ engine });
});

afterAll(async () => {
  await app.close();
  await engine.dispose();
});

const lastInfill = () => engine.requests.at(-1) as unknown as InfillRequest;

/** The `data:` events of a stream, parsed. */
const events = (text: string) => text.split("\n\n").filter(Boolean).map((event) => JSON.parse(event.replace(/^data: /, "")) as Record<string, unknown>);

describe("POST /infill over a fake engine", () => {
  it("fills in the middle with the request's parts and answers as llama.cpp's /completion", async () => {
    const body = {
      model: "fake-chat", input_prefix: "def add(a, b):\n", input_suffix: "\nprint(add(1, 2))", prompt: "    return",
      input_extra: [{ filename: "util.py", text: "x = 1" }], n_predict: 3, seed: 7, temperature: 0, samplers: ["top_k"], cache_prompt: true,
    };
    const answer = await app.request("POST", "/infill", body);
    expect(answer.status).toBe(200);
    expect(lastInfill()).toMatchObject({
      model: "fake-chat", prefix: body.input_prefix, suffix: body.input_suffix, prompt: "    return", files: [{ filename: "util.py", text: "x = 1" }],
      sampling: { maxTokens: 3, seed: 7, temperature: 0, stop: [] },
    });
    expect(answer.json()).toEqual({
      index: 0, content: "You said: def ", stop: true, model: "fake-chat", stop_type: "limit", stopping_word: "",
      // The fake counts words: 3 FIM tokens, "def add(a, b):\n" + "    return" (4), "\nprint(add(1, 2))" (2).
      tokens_predicted: 3, tokens_evaluated: 9, truncated: false,
    });
  });

  it("streams data events of text, then one with stop true and the counts, and no [DONE]", async () => {
    const answer = await app.request("POST", "/infill", { model: "fake-chat", input_prefix: "one two", input_suffix: "", stream: true });
    expect(answer.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    const all = events(answer.text);
    const last = all.at(-1)!;
    expect(all.slice(0, -1).every((event) => event.stop === false)).toBe(true);
    expect(all.slice(0, -1).map((event) => event.content).join("")).toBe("You said: one two");
    expect(last).toMatchObject({ content: "", stop: true, stop_type: "eos", tokens_predicted: 4, tokens_evaluated: 5 });
  });

  it("answers n_predict 0 (llama.vscode's cache warm-up) at once, without generating", async () => {
    const before = engine.requests.length;
    const answer = await app.request("POST", "/infill", { model: "fake-chat", input_prefix: "a", n_predict: 0 });
    expect(answer.json()).toMatchObject({ content: "", stop: true, stop_type: "limit", tokens_predicted: 0 });
    expect(engine.requests.length).toBe(before);
  });

  it("serves the only completion model when the request names none", async () => {
    const answer = await app.request("POST", "/infill", { input_prefix: "a", input_suffix: "b" });
    expect(answer.json()).toMatchObject({ model: "fake-chat", stop: true });
  });

  it("asks for a model when several could serve", async () => {
    const two = new FakeEngine({ models: [fakeModel("one"), fakeModel("two")] });
    const other = await startTestApp({ engine: two });
    try {
      const answer = await other.request("POST", "/infill", { input_prefix: "a" });
      expect(answer.status).toBe(400);
      expect(answer.json().error).toMatchObject({ code: "invalid_parameter", param: "model" });
      expect(answer.json().error.message).toMatch(/one, two/);
    } finally {
      await other.close();
    }
  });

  it.each([
    [{ input_extra: [{ filename: "a.py" }] }, "input_extra.0.text"],
    [{ input_prefix: 5 }, "input_prefix"],
    [{ n_predict: -2 }, "n_predict"],
    [{ stop: [""] }, "stop.0"],
  ])("refuses %j naming %s", async (extra, param) => {
    const answer = await app.request("POST", "/infill", { model: "fake-chat", ...extra });
    expect(answer.status).toBe(400);
    expect(answer.json().error).toMatchObject({ code: "invalid_parameter", param });
  });

  it("is an ordinary 404 for an unknown model, streamed or not", async () => {
    for (const stream of [false, true]) {
      const answer = await app.request("POST", "/infill", { model: "nope", input_prefix: "a", stream });
      expect(answer.status).toBe(404);
      expect(answer.json().error.code).toBe("model_not_found");
    }
  });
});

describe("suffix on /v1/completions", () => {
  it("makes the completion fill in the middle between prompt and suffix, an empty suffix included", async () => {
    for (const suffix of ["\n}", ""]) {
      const answer = await app.request("POST", "/v1/completions", { model: "fake-chat", prompt: "function f() {", suffix, max_tokens: 2 });
      expect(answer.status).toBe(200);
      expect(lastInfill()).toMatchObject({ prefix: "function f() {", suffix, sampling: { maxTokens: 2 } });
      expect(answer.json().usage.prompt_tokens).toBe(3 + 3 + (suffix ? 1 : 0));
    }
  });

  it("stays a plain completion with suffix null", async () => {
    await app.request("POST", "/v1/completions", { model: "fake-chat", prompt: "once", suffix: null, max_tokens: 1 });
    expect(engine.requests.at(-1)).toMatchObject({ prompt: "once" });
  });
});

describe("toInfillSampling", () => {
  it("reads n_predict, then max_tokens; -1 and a seed of -1 leave the engine's defaults", () => {
    expect(toInfillSampling({ n_predict: -1, max_tokens: 5, seed: -1 })).toEqual({ stop: [] });
    expect(toInfillSampling({ max_tokens: 5, stop: "\n" })).toEqual({ maxTokens: 5, stop: ["\n"] });
    expect(toInfillSampling({ n_predict: 0, top_k: 1, top_p: 0.5, min_p: 0.1 })).toEqual({ maxTokens: 0, topK: 1, topP: 0.5, minP: 0.1, stop: [] });
  });
});
