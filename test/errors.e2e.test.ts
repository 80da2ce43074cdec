/**
 * Bad input of every kind gets OpenAI's error shape with the right status, and the server keeps
 * serving after each. This server has a small context and body limit so both can be hit.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type OpenAI from "openai";
import { gguf, writeGguf } from "./fixtures/gguf-writer.js";
import { NEVER_END } from "./helpers/sampling.js";
import { rawPost, startShimmy, type ShimmyProcess } from "./helpers/shimmy-process.js";

const MODEL = "chat-llama";
const CTX = 64;
// Room for the deeply nested bodies below; still small enough that the 413 tests stay cheap.
const MAX_BODY = 65_536;
let shimmy: ShimmyProcess;
let client: OpenAI;
let dir: string;

/** A llama header without `feed_forward_length`: llama.cpp would abort the process on it. */
async function writeBrokenModel(file: string) {
  await writeGguf(file, {
    "general.architecture": gguf.str("llama"),
    "llama.context_length": gguf.u32(256),
    "llama.embedding_length": gguf.u32(64),
    "llama.block_count": gguf.u32(1),
    "llama.attention.head_count": gguf.u32(4),
    "llama.attention.layer_norm_rms_epsilon": gguf.f32(1e-5),
    "tokenizer.ggml.model": gguf.str("llama"),
    "tokenizer.ggml.tokens": gguf.strings(["<unk>", "<s>", "</s>", "a"]),
  }, [{ name: "token_embd.weight", dims: [64, 4], type: 0, data: function* () { yield new Uint8Array(64 * 4 * 4); } }]);
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "shimmy-errors-"));
  const broken = path.join(dir, "broken.gguf");
  await writeBrokenModel(broken);
  const garbage = path.join(dir, "garbage.gguf");
  fs.writeFileSync(garbage, "this is not a gguf file");
  shimmy = await startShimmy({
    // Found in a folder, not named with --model (a named file that is broken stops the start).
    args: ["--model", inject("fixtureModels").chat, "--models-dir", dir, "--ctx-size", String(CTX), "--max-body", String(MAX_BODY), "--parallel", "1"],
  });
  client = shimmy.client();
});
afterAll(async () => {
  await shimmy?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

function expectErrorShape(body: unknown, code: string, param: string | null) {
  expect(body).toEqual({ error: { message: expect.any(String), type: expect.any(String), param, code } });
}

async function expectStillServing() {
  const answer = await client.chat.completions.create({ model: MODEL, messages: [{ role: "user", content: "ok" }], max_tokens: 2, ...NEVER_END });
  expect(answer.choices[0]?.finish_reason).toBe("length");
}

describe("error responses", () => {
  it("answers malformed JSON with 400 invalid_json", async () => {
    const response = await rawPost(`${shimmy.baseURL}/chat/completions`, '{"model": "x", ');
    expect(response.status).toBe(400);
    expectErrorShape(response.json, "invalid_json", null);
    await expectStillServing();
  });

  it("answers a schema violation with 400 naming the param", async () => {
    const response = await rawPost(`${shimmy.baseURL}/chat/completions`, JSON.stringify({ model: MODEL, messages: [{ role: "user", content: 5 }] }));
    expect(response.status).toBe(400);
    expectErrorShape(response.json, "invalid_parameter", "messages.0.content");
    const missing = await rawPost(`${shimmy.baseURL}/chat/completions`, JSON.stringify({ messages: [] }));
    expectErrorShape(missing.json, "invalid_parameter", "model");
    await expectStillServing();
  });

  it("answers an unknown model with 404 model_not_found, listing the served ids", async () => {
    const error = await client.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "x" }] }).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 404, code: "model_not_found", param: "model" });
    expect((error as Error).message).toContain(MODEL);
    await expectStillServing();
  });

  it("answers an unknown route with 404", async () => {
    const response = await fetch(`${shimmy.url}/v1/nothing`);
    expect(response.status).toBe(404);
    expectErrorShape(await response.json(), "not_found", null);
  });

  it("answers a body over --max-body with 413", async () => {
    const big = JSON.stringify({ model: MODEL, messages: [{ role: "user", content: "x".repeat(MAX_BODY) }] });
    const response = await rawPost(`${shimmy.baseURL}/chat/completions`, big);
    expect(response.status).toBe(413);
    expectErrorShape(response.json, "request_too_large", null);
    await expectStillServing();
  });

  it("answers a body over --max-body sent without a length (chunked) with 413", async () => {
    const chunks = [JSON.stringify({ model: MODEL, messages: [{ role: "user", content: "x".repeat(MAX_BODY) }] })];
    const body = new ReadableStream({ pull(controller) { const next = chunks.shift(); if (next) controller.enqueue(new TextEncoder().encode(next)); else controller.close(); } });
    const response = await fetch(`${shimmy.baseURL}/chat/completions`, { method: "POST", body, headers: { "content-type": "application/json" }, duplex: "half" } as RequestInit);
    expect(response.status).toBe(413);
    await expectStillServing();
  });

  it("answers a body that is not JSON with 415", async () => {
    for (const type of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]) {
      const response = await rawPost(`${shimmy.baseURL}/chat/completions`, "model=x", { "content-type": type });
      expect(response.status).toBe(415);
      expectErrorShape(response.json, "unsupported_media_type", null);
    }
    await expectStillServing();
  });

  it("answers a prompt longer than the slot's context with 400 context_length_exceeded and both numbers", async () => {
    const error = await client.chat.completions
      .create({ model: MODEL, messages: [{ role: "user", content: "word ".repeat(200) }] })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 400, code: "context_length_exceeded", param: "messages" });
    const message = (error as Error).message;
    expect(message).toContain(`${CTX} tokens`);
    const promptTokens = Number(/prompt has (\d+) tokens/.exec(message)?.[1]);
    expect(promptTokens).toBeGreaterThan(CTX);
    const completion = await client.completions.create({ model: MODEL, prompt: "word ".repeat(200) }).catch((e: unknown) => e);
    expect(completion).toMatchObject({ status: 400, code: "context_length_exceeded", param: "prompt" });
    await expectStillServing();
  });

  it("caps the answer at what the context has left and reports length", async () => {
    const answer = await client.chat.completions.create({ model: MODEL, messages: [{ role: "user", content: "hi" }], max_tokens: 1000, ...NEVER_END });
    expect(answer.choices[0]?.finish_reason).toBe("length");
    expect(answer.usage!.prompt_tokens + answer.usage!.completion_tokens).toBeLessThanOrEqual(CTX);
  });

  it("refuses a GGUF whose metadata would crash llama.cpp, before loading it, and keeps serving", async () => {
    const list = await client.models.list();
    expect(list.data.map((m) => m.id)).toEqual([MODEL]);
    const error = await client.chat.completions.create({ model: "broken", messages: [{ role: "user", content: "x" }] }).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 400, code: "model_invalid", param: "model" });
    expect((error as Error).message).toMatch(/feed_forward_length is missing/);
    const garbage = await client.chat.completions.create({ model: "garbage", messages: [{ role: "user", content: "x" }] }).catch((e: unknown) => e);
    expect(garbage).toMatchObject({ status: 400, code: "model_invalid" });
    expect(shimmy.logs.some((l) => l.event === "model_refused" && l.model === "broken")).toBe(true);
    await expectStillServing();
  });

  it("answers a model path with broken percent-encoding with 404, not 500", async () => {
    for (const id of ["%", "%zz", "a%2"]) {
      const response = await fetch(`${shimmy.baseURL}/models/${id}`);
      expect(response.status).toBe(404);
      expectErrorShape(await response.json(), "model_not_found", "model");
    }
    await expectStillServing();
  });

  it("refuses an absurd keep_alive with 400 and keeps a long one for good instead of unloading it", async () => {
    for (const keepAlive of [1e13, 1e300, "2562048h"]) {
      const response = await rawPost(`${shimmy.url}/api/models/load`, JSON.stringify({ model: MODEL, keep_alive: keepAlive }));
      expect(response.status).toBe(400);
      expectErrorShape(response.json, "invalid_parameter", "keep_alive");
    }
    const long = await rawPost(`${shimmy.url}/api/models/load`, JSON.stringify({ model: MODEL, keep_alive: "600h" }));
    expect(long.status).toBe(200);
    expect(long.json).toMatchObject({ loaded: true, expires_at: null });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(shimmy.logs.some((l) => l.event === "model_unloaded" && l.model === MODEL)).toBe(false);
    await expectStillServing();
    const back = await rawPost(`${shimmy.url}/api/models/load`, JSON.stringify({ model: MODEL, keep_alive: "5m" }));
    expect(back.status).toBe(200);
  });

  it("refuses JSON nested too deeply to walk with 400 naming the field, not a stack overflow", async () => {
    const schema = (levels: number) => '{"type":"array","items":'.repeat(levels) + "{}" + "}".repeat(levels);
    const format = await rawPost(`${shimmy.baseURL}/chat/completions`,
      `{"model":"${MODEL}","messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_schema","json_schema":{"name":"a","schema":${schema(2_000)}}}}`);
    expect(format.status).toBe(400);
    expectErrorShape(format.json, "invalid_parameter", "response_format.json_schema.schema");
    const tools = await rawPost(`${shimmy.baseURL}/chat/completions`,
      `{"model":"${MODEL}","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f","parameters":${schema(2_000)}}}]}`);
    expectErrorShape(tools.json, "invalid_parameter", "tools.0.function.parameters");
    const args = "[".repeat(5_000) + "]".repeat(5_000);
    const history = await rawPost(`${shimmy.baseURL}/chat/completions`, JSON.stringify({
      model: MODEL,
      messages: [
        { role: "user", content: "x" },
        { role: "assistant", content: null, tool_calls: [{ id: "c1", type: "function", function: { name: "f", arguments: args } }] },
        { role: "tool", tool_call_id: "c1", content: "done" },
      ],
    }));
    expect(history.status).toBe(400);
    expectErrorShape(history.json, "invalid_parameter", "messages.1.tool_calls.0.function.arguments");
    await expectStillServing();
  });

  it("refuses schema bounds a grammar cannot repeat with 400, holds huge upper bounds to what it can, and never dumps a grammar to the log", async () => {
    const bounds: [Record<string, unknown>, string][] = [
      [{ type: "array", minItems: 1e9 }, "minItems"],
      [{ type: "string", minLength: 1e12 }, "minLength"],
    ];
    for (const [schema, keyword] of bounds) {
      const response = await rawPost(`${shimmy.baseURL}/chat/completions`, JSON.stringify({
        model: MODEL, messages: [{ role: "user", content: "x" }], max_tokens: 2,
        response_format: { type: "json_schema", json_schema: { name: "a", schema: { type: "object", properties: { a: schema } } } },
      }));
      expect(response.status).toBe(400);
      expectErrorShape(response.json, "invalid_parameter", `response_format.json_schema.schema.properties.a.${keyword}`);
    }
    const atCap = await rawPost(`${shimmy.baseURL}/chat/completions`, JSON.stringify({
      model: MODEL, messages: [{ role: "user", content: "x" }], max_tokens: 2,
      response_format: { type: "json_schema", json_schema: { name: "a", schema: { type: "array", items: { type: "object", properties: { a: { type: "string" } } }, minItems: 500, maxItems: 500 } } },
    }));
    expect(atCap.status).not.toBe(500);
    const hugeMaximum = await client.chat.completions.create({
      model: MODEL, messages: [{ role: "user", content: "x" }], max_tokens: 2,
      response_format: { type: "json_schema", json_schema: { name: "a", schema: { type: "object", properties: { a: { type: "string", maxLength: 1e12 } } } } },
    });
    expect(hugeMaximum.choices[0]!.finish_reason).toBe("length");
    expect(shimmy.logs.some((l) => typeof l.raw === "string" && /::=|error parsing grammar/.test(l.raw))).toBe(false);
    await expectStillServing();
  });

  it("hides the details of unexpected failures and echoes a request id", async () => {
    const response = await rawPost(`${shimmy.baseURL}/chat/completions`, "[]");
    expect(response.status).toBe(400);
    expect(response.headers.get("x-request-id")).toMatch(/^req_[0-9a-f]{32}$/);
    const withId = await fetch(`${shimmy.url}/health`, { headers: { "x-request-id": "trace-123" } });
    expect(withId.headers.get("x-request-id")).toBe("trace-123");
  });

  it("logs one structured line per request", async () => {
    const answer = await client.chat.completions.create(
      { model: MODEL, messages: [{ role: "user", content: "log me" }], max_tokens: 3 },
      { headers: { "x-request-id": "log-line-test" } },
    );
    const line = await shimmy.waitForLog((l) => l.event === "request" && l.requestId === "log-line-test");
    expect(line).toMatchObject({
      method: "POST", route: "/v1/chat/completions", model: MODEL, status: 200,
      completionTokens: answer.usage!.completion_tokens, promptTokens: answer.usage!.prompt_tokens,
      ttftMs: expect.any(Number), durationMs: expect.any(Number),
    });
  });
});
