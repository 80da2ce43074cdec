/**
 * The chat and text completion endpoints, driven by the official `openai` client against the
 * real server on the ChatML fixture model.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type OpenAI from "openai";
import { countTokens } from "./helpers/count-tokens.js";
import { rawPost, startShimmy, type ShimmyProcess } from "./helpers/shimmy-process.js";

const MODEL = "chat-llama";
let shimmy: ShimmyProcess;
let client: OpenAI;

beforeAll(async () => {
  shimmy = await startShimmy({ args: ["--model", inject("fixtureModels").chat, "--parallel", "2"] });
  client = shimmy.client();
});
afterAll(() => shimmy?.stop());

const ask = (content: string, extra: Record<string, unknown> = {}) =>
  client.chat.completions.create({ model: MODEL, messages: [{ role: "user", content }], max_tokens: 12, seed: 7, ...extra });

async function streamText(params: Record<string, unknown>) {
  const stream = await client.chat.completions.create({ model: MODEL, messages: [{ role: "user", content: "Hi" }], max_tokens: 12, ...params, stream: true });
  const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return { chunks, text: chunks.map((c) => c.choices[0]?.delta.content ?? "").join("") };
}

describe("models", () => {
  it("lists the served model and returns it by id", async () => {
    const list = await client.models.list();
    expect(list.data.map((m) => m.id)).toEqual([MODEL]);
    expect(list.data[0]).toMatchObject({ object: "model", owned_by: "shimmy" });
    expect(await client.models.retrieve(MODEL)).toMatchObject({ id: MODEL, object: "model" });
  });

  it("answers an unknown model id with 404 model_not_found", async () => {
    await expect(client.models.retrieve("nope")).rejects.toMatchObject({ status: 404, code: "model_not_found" });
  });
});

describe("POST /v1/chat/completions", () => {
  it("answers in OpenAI's shape with exact token usage", async () => {
    const completion = await ask("Hello there", { max_tokens: 8 });
    expect(completion.object).toBe("chat.completion");
    expect(completion.id).toMatch(/^chatcmpl-/);
    expect(completion.model).toBe(MODEL);
    const [choice] = completion.choices;
    expect(choice?.message.role).toBe("assistant");
    expect(typeof choice?.message.content).toBe("string");
    expect(choice?.finish_reason).toBe("length");
    const [promptTokens] = await countTokens(inject("fixtureModels").chat, [
      "<|im_start|>user\nHello there<|im_end|>\n<|im_start|>assistant\n",
    ]);
    expect(completion.usage).toEqual({ prompt_tokens: promptTokens, completion_tokens: 8, total_tokens: promptTokens! + 8 });
  });

  it("gives the same text for the same seed, streamed or not", async () => {
    const first = await ask("Tell me", { seed: 42, temperature: 1 });
    const second = await ask("Tell me", { seed: 42, temperature: 1 });
    expect(second.choices[0]?.message.content).toBe(first.choices[0]?.message.content);
    const streamed = await client.chat.completions.create({
      model: MODEL, messages: [{ role: "user", content: "Tell me" }], max_tokens: 12, seed: 42, temperature: 1, stream: true,
    });
    let text = "";
    for await (const chunk of streamed) text += chunk.choices[0]?.delta.content ?? "";
    expect(text).toBe(first.choices[0]?.message.content);
  });

  it("gives different text for different seeds", async () => {
    const texts = new Set<string>();
    for (const seed of [1, 2, 3]) texts.add((await ask("Tell me", { seed, temperature: 1.5, max_tokens: 16 })).choices[0]!.message.content!);
    expect(texts.size).toBeGreaterThan(1);
  });

  it("stops before a stop sequence and never includes it", async () => {
    // Random weights also write stray bytes; pick a stop string of plain letters from the output.
    let found: { seed: number; full: string; stop: string } | undefined;
    for (let seed = 1; seed <= 20 && !found; seed++) {
      const full = (await ask("Go on", { seed, max_tokens: 24 })).choices[0]!.message.content!;
      const match = /[A-Za-z]{2}/.exec(full.slice(2));
      if (match) found = { seed, full, stop: match[0] };
    }
    expect(found).toBeDefined();
    const { seed, full, stop } = found!;
    const expected = full.slice(0, full.indexOf(stop));
    const cut = await ask("Go on", { seed, max_tokens: 24, stop });
    expect(cut.choices[0]?.finish_reason).toBe("stop");
    expect(cut.choices[0]?.message.content).toBe(expected);
    const cutByArray = await ask("Go on", { seed, max_tokens: 24, stop: ["\u0000never", stop] });
    expect(cutByArray.choices[0]?.message.content).toBe(expected);
  });

  it("lets max_completion_tokens win over max_tokens", async () => {
    const completion = await ask("Hi", { max_tokens: 10, max_completion_tokens: 3 });
    expect(completion.usage?.completion_tokens).toBe(3);
    expect(completion.choices[0]?.finish_reason).toBe("length");
  });

  it("is greedy and repeatable at temperature 0 without a seed", async () => {
    const a = await client.chat.completions.create({ model: MODEL, messages: [{ role: "user", content: "x" }], max_tokens: 10, temperature: 0 });
    const b = await client.chat.completions.create({ model: MODEL, messages: [{ role: "user", content: "x" }], max_tokens: 10, temperature: 0 });
    expect(a.choices[0]?.message.content).toBe(b.choices[0]?.message.content);
  });

  it("accepts every sampling parameter", async () => {
    const completion = await ask("Hi", {
      temperature: 0.7, top_p: 0.9, top_k: 20, min_p: 0.1, presence_penalty: 0.5, frequency_penalty: 0.5, user: "u1",
    });
    expect(completion.choices[0]?.finish_reason).toBe("length");
  });

  it("applies top_k, top_p and min_p: each at its narrowest leaves only the greedy choice", async () => {
    const greedy = (await ask("Narrow", { temperature: 0, max_tokens: 16 })).choices[0]?.message.content;
    for (const narrowest of [{ top_k: 1 }, { top_p: 0.000001 }, { min_p: 1 }]) {
      const texts = new Set<string>();
      for (const seed of [1, 2]) {
        texts.add((await ask("Narrow", { temperature: 1.5, max_tokens: 16, seed, ...narrowest })).choices[0]!.message.content!);
      }
      expect([...texts], JSON.stringify(narrowest)).toEqual([greedy]);
    }
  });

  it("applies presence and frequency penalties", async () => {
    const plain = await ask("Hi", { temperature: 0, max_tokens: 24 });
    const penalised = await ask("Hi", { temperature: 0, max_tokens: 24, frequency_penalty: 2, presence_penalty: 2 });
    expect(penalised.choices[0]?.message.content).not.toBe(plain.choices[0]?.message.content);
  });

  it("applies logit_bias: +100 makes one token the only choice, -100 bans it", async () => {
    const plain = await ask("Hi", { temperature: 0, max_tokens: 6 });
    const forced = await ask("Hi", { max_tokens: 6, logit_bias: { "300": 100 } });
    const text = forced.choices[0]!.message.content!;
    expect(text.length).toBeGreaterThan(0);
    expect(text).toBe(text.slice(0, text.length / 6).repeat(6));
    expect(plain.choices[0]?.message.content).not.toBe(text);
    // Banning the greedy choice's tokens changes the greedy answer.
    const greedy = plain.choices[0]!.message.content!;
    const bans = Object.fromEntries(Array.from({ length: 600 }, (_, id) => [String(id), -100]).filter(([id]) => Number(id) % 2 === 0));
    const banned = await ask("Hi", { temperature: 0, max_tokens: 6, logit_bias: bans });
    expect(banned.choices[0]?.message.content).not.toBe(greedy);
  });

  it("takes content as text parts, developer and system roles, and tool turns with null content", async () => {
    const completion = await client.chat.completions.create({
      model: MODEL,
      max_tokens: 4,
      messages: [
        { role: "developer", content: "Be terse." },
        { role: "system", content: [{ type: "text", text: "Answer " }, { type: "text", text: "briefly." }] },
        { role: "user", content: [{ type: "text", text: "Weather?" }] },
        { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function", function: { name: "weather", arguments: '{"city":"Oslo"}' } }] },
        { role: "tool", tool_call_id: "call_1", content: "3 degrees" },
      ],
    });
    expect(completion.choices[0]?.message.content).toBeTypeOf("string");
  });

  it("ignores fields it does not know", async () => {
    const response = await rawPost(`${shimmy.baseURL}/chat/completions`, JSON.stringify({
      model: MODEL, messages: [{ role: "user", content: "x", extra: 1 }], max_tokens: 2, store: false, metadata: { a: "b" }, whatever: true,
    }));
    expect(response.status).toBe(200);
  });

  it("refuses n other than 1 with a 400 naming n", async () => {
    await expect(ask("Hi", { n: 2 })).rejects.toMatchObject({ status: 400, param: "n", code: "invalid_parameter" });
  });

  it("refuses a bad parameter with a 400 naming it", async () => {
    await expect(ask("Hi", { temperature: 3 })).rejects.toMatchObject({ status: 400, param: "temperature" });
    await expect(
      client.chat.completions.create({ model: MODEL, messages: [{ role: "robot" as "user", content: "x" }] }),
    ).rejects.toMatchObject({ status: 400, param: "messages.0.role" });
  });
});

describe("streaming", () => {
  it("frames chunks as data: {json}, role first, finish_reason last, then [DONE]", async () => {
    const response = await fetch(`${shimmy.baseURL}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: MODEL, messages: [{ role: "user", content: "Hi" }], max_tokens: 5, stream: true, seed: 1 }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const body = await response.text();
    expect(body.endsWith("data: [DONE]\n\n")).toBe(true);
    const events = body.split("\n\n").filter(Boolean);
    for (const event of events) expect(event).toMatch(/^data: (\{.*\}|\[DONE\])$/s);
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.slice(6)) as OpenAI.Chat.Completions.ChatCompletionChunk);
    expect(chunks[0]?.choices[0]?.delta.role).toBe("assistant");
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe("length");
    expect(chunks.slice(0, -1).every((c) => c.choices[0]?.finish_reason === null)).toBe(true);
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
  });

  it("adds a final usage chunk with empty choices when include_usage is set", async () => {
    const { chunks } = await streamText({ seed: 3, stream_options: { include_usage: true } });
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject({ completion_tokens: 12 });
    expect(last.usage!.total_tokens).toBe(last.usage!.prompt_tokens + 12);
    expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true);
  });

  it("sends no usage chunk without include_usage", async () => {
    const { chunks } = await streamText({ seed: 3 });
    expect(chunks.every((c) => c.choices.length === 1 && c.usage === undefined)).toBe(true);
  });

  it("answers a request without stream as plain JSON", async () => {
    const response = await rawPost(`${shimmy.baseURL}/chat/completions`, JSON.stringify({ model: MODEL, messages: [{ role: "user", content: "x" }], max_tokens: 2 }));
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expect(response.json).toMatchObject({ object: "chat.completion" });
  });
});

describe("POST /v1/completions", () => {
  it("continues a raw prompt with exact usage", async () => {
    const prompt = "The quick brown fox";
    const completion = await client.completions.create({ model: MODEL, prompt, max_tokens: 5, seed: 1 });
    expect(completion.object).toBe("text_completion");
    expect(completion.choices[0]?.finish_reason).toBe("length");
    const [promptTokens] = await countTokens(inject("fixtureModels").chat, [prompt]);
    expect(completion.usage).toEqual({ prompt_tokens: promptTokens, completion_tokens: 5, total_tokens: promptTokens! + 5 });
  });

  it("takes the prompt as an array of one string, with the same seed giving the same text", async () => {
    const a = await client.completions.create({ model: MODEL, prompt: "abc", max_tokens: 8, seed: 9 });
    const b = await client.completions.create({ model: MODEL, prompt: ["abc"], max_tokens: 8, seed: 9 });
    expect(b.choices[0]?.text).toBe(a.choices[0]?.text);
  });

  it("streams text chunks and stops before stop sequences", async () => {
    let found: { seed: number; full: string; stop: string } | undefined;
    for (let seed = 1; seed <= 20 && !found; seed++) {
      const full = (await client.completions.create({ model: MODEL, prompt: "abc", max_tokens: 20, seed })).choices[0]!.text;
      const match = /[A-Za-z]{2}/.exec(full.slice(2));
      if (match) found = { seed, full, stop: match[0] };
    }
    expect(found).toBeDefined();
    const { seed, full, stop } = found!;
    const stream = await client.completions.create({ model: MODEL, prompt: "abc", max_tokens: 20, seed, stop, stream: true });
    let text = "";
    let finish: string | null = null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.text ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(text).toBe(full.slice(0, full.indexOf(stop)));
    expect(finish).toBe("stop");
  });
});
