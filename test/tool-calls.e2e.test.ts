/**
 * Tool calls and structured output through the official `openai` client: forced calls on any
 * model (the ChatML fixture and the demo model, which has no tool template), streamed and not,
 * a tool-result round trip, `parallel_tool_calls` (its default follows the model's template), JSON
 * that always parses, and answers cut off by max_tokens returned as OpenAI returns them.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { LengthFinishReasonError } from "openai/core/error";
import type OpenAI from "openai";
import { ROOT, startShimmy, type ShimmyProcess } from "./helpers/shimmy-process.js";
import path from "node:path";

let shimmy: ShimmyProcess;
let client: OpenAI;
const MODELS = ["chat-llama", "stories260K"] as const;

// Random weights write random arguments: every parameter is an enum or bounded, so calls stay short.
const WEATHER: OpenAI.Chat.Completions.ChatCompletionTool = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Current weather in a city",
    parameters: {
      type: "object",
      properties: { city: { type: "string", enum: ["Oslo", "Lima", "Pune"] }, unit: { enum: ["C", "F"] } },
      required: ["city", "unit"],
      additionalProperties: false,
    },
  },
};
const TIME: OpenAI.Chat.Completions.ChatCompletionTool = {
  type: "function",
  function: {
    name: "get_time",
    parameters: { type: "object", properties: { zone: { type: "string", maxLength: 5 } }, required: ["zone"], additionalProperties: false },
  },
};

beforeAll(async () => {
  shimmy = await startShimmy({
    args: ["--model", inject("fixtureModels").chat, "--model", path.join(ROOT, "models/stories260K.gguf")],
  });
  client = shimmy.client();
});
afterAll(() => shimmy?.stop());

const ask = (model: string, extra: Partial<OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming>) =>
  client.chat.completions.create({ model, messages: [{ role: "user", content: "What is the weather in Oslo?" }], max_tokens: 200, seed: 1, ...extra });

function expectValidWeatherCall(call: OpenAI.Chat.Completions.ChatCompletionMessageFunctionToolCall | undefined) {
  expect(call?.id).toMatch(/^call_[A-Za-z0-9]{24}$/);
  expect(call?.type).toBe("function");
  expect(call?.function.name).toBe("get_weather");
  const args = JSON.parse(call!.function.arguments) as { city: string; unit: string };
  expect(["Oslo", "Lima", "Pune"]).toContain(args.city);
  expect(["C", "F"]).toContain(args.unit);
}

describe.each(MODELS)("forced tool calls on %s", (model) => {
  it("required: answers with one tool call in OpenAI's shape, content null, finish_reason tool_calls", async () => {
    // Neither model's template writes parallel calls, so parallel_tool_calls defaults to false there,
    // as in llama.cpp's server: one call, however eagerly random weights would write more.
    const answer = await ask(model, { tools: [WEATHER], tool_choice: "required", max_tokens: 1200 });
    const { message, finish_reason } = answer.choices[0]!;
    expect(finish_reason).toBe("tool_calls");
    expect(message.content).toBeNull();
    expect(message.tool_calls).toHaveLength(1);
    expectValidWeatherCall(message.tool_calls![0] as OpenAI.Chat.Completions.ChatCompletionMessageFunctionToolCall);
  });

  it("required with parallel_tool_calls true: several calls in one answer", async () => {
    const answer = await ask(model, { tools: [WEATHER], tool_choice: "required", parallel_tool_calls: true, max_tokens: 1200 });
    const { message, finish_reason } = answer.choices[0]!;
    expect(finish_reason).toBe("tool_calls");
    expect(message.tool_calls!.length).toBeGreaterThan(1);
    for (const call of message.tool_calls!) expectValidWeatherCall(call as OpenAI.Chat.Completions.ChatCompletionMessageFunctionToolCall);
  });

  it("returns a forced call cut off by max_tokens as a 200 with finish_reason length and the partial call, streamed or not", async () => {
    const full = await ask(model, { tools: [WEATHER], tool_choice: "required" });
    const fullArguments = (full.choices[0]!.message.tool_calls![0] as OpenAI.Chat.Completions.ChatCompletionMessageFunctionToolCall).function.arguments;
    // The same seed samples the same tokens: each lower limit cuts the same answer earlier. Every
    // cut is a 200 whose call (once its name is written) holds a prefix of the full arguments.
    let partial: { limit: number; arguments: string } | undefined;
    for (let limit = full.usage!.completion_tokens - 1; limit > 0 && !partial; limit -= 2) {
      const cut = await ask(model, { tools: [WEATHER], tool_choice: "required", max_tokens: limit });
      expect(cut.choices[0]!.finish_reason).toBe("length");
      expect(cut.usage!.completion_tokens).toBe(limit);
      const calls = (cut.choices[0]!.message.tool_calls ?? []) as OpenAI.Chat.Completions.ChatCompletionMessageFunctionToolCall[];
      expect(calls.length).toBeLessThanOrEqual(1);
      if (calls.length === 0) continue;
      expect(calls[0]!.function.name).toBe("get_weather");
      expect(fullArguments.startsWith(calls[0]!.function.arguments)).toBe(true);
      const args = calls[0]!.function.arguments;
      if (args !== "" && args.length < fullArguments.length) partial = { limit, arguments: args };
    }
    expect(partial).toBeDefined();
    const { limit } = partial!;
    const call = { function: { arguments: partial!.arguments } };

    const stream = await client.chat.completions.create({
      model, messages: [{ role: "user", content: "What is the weather in Oslo?" }], max_tokens: limit, seed: 1, stream: true,
      stream_options: { include_usage: true }, tools: [WEATHER], tool_choice: "required",
    });
    let streamedArguments = "";
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      for (const delta of chunk.choices[0]?.delta.tool_calls ?? []) streamedArguments += delta.function?.arguments ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
      usage = chunk.usage ?? usage;
    }
    expect({ finish, streamedArguments, completion: usage?.completion_tokens }).toEqual({ finish: "length", streamedArguments: call!.function.arguments, completion: limit });
  });

  it("named: calls exactly the named function, once with parallel_tool_calls false", async () => {
    const answer = await ask(model, {
      tools: [TIME, WEATHER], tool_choice: { type: "function", function: { name: "get_weather" } }, parallel_tool_calls: false,
    });
    const calls = answer.choices[0]!.message.tool_calls!;
    expect(calls).toHaveLength(1);
    expectValidWeatherCall(calls[0] as OpenAI.Chat.Completions.ChatCompletionMessageFunctionToolCall);
  });

  it("streams tool calls: id and name in the first delta, arguments in pieces", async () => {
    const stream = await client.chat.completions.create({
      model, messages: [{ role: "user", content: "Weather?" }], max_tokens: 200, seed: 2, stream: true,
      tools: [WEATHER], tool_choice: "required", parallel_tool_calls: false,
    });
    const deltas: OpenAI.Chat.Completions.ChatCompletionChunk.Choice.Delta.ToolCall[] = [];
    let finish: string | null = null;
    for await (const chunk of stream) {
      deltas.push(...(chunk.choices[0]?.delta.tool_calls ?? []));
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(finish).toBe("tool_calls");
    expect(deltas[0]).toMatchObject({ index: 0, id: expect.stringMatching(/^call_/), type: "function", function: { name: "get_weather", arguments: "" } });
    const pieces = deltas.slice(1);
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.every((d) => d.index === 0 && d.id === undefined)).toBe(true);
    const args = pieces.map((d) => d.function?.arguments ?? "").join("");
    expectValidWeatherCall({ id: deltas[0]!.id!, type: "function", function: { name: "get_weather", arguments: args } });
  });
});

describe("tool results", () => {
  it("renders tool results in the model's format so a conversation can go on for rounds", async () => {
    const first = await ask("chat-llama", { tools: [WEATHER], tool_choice: "required", parallel_tool_calls: false });
    const call = first.choices[0]!.message.tool_calls![0]! as OpenAI.Chat.Completions.ChatCompletionMessageFunctionToolCall;
    const followUp = (result: string) =>
      client.chat.completions.create({
        model: "chat-llama", max_tokens: 8, seed: 1, tools: [WEATHER],
        messages: [
          { role: "user", content: "What is the weather in Oslo?" },
          { role: "assistant", content: null, tool_calls: [call] },
          { role: "tool", tool_call_id: call.id, content: result },
        ],
      });
    const short = await followUp("3");
    const long = await followUp("3 degrees and light snow from the north west, clearing towards the evening");
    expect(short.choices[0]!.message.content).toBeTypeOf("string");
    // The result is part of the prompt: a longer result costs more prompt tokens.
    expect(long.usage!.prompt_tokens - short.usage!.prompt_tokens).toBeGreaterThan(10);
    const third = await client.chat.completions.create({
      model: "chat-llama", max_tokens: 200, seed: 3, tools: [WEATHER], tool_choice: "required",
      messages: [
        { role: "user", content: "What is the weather in Oslo?" },
        { role: "assistant", content: null, tool_calls: [call] },
        { role: "tool", tool_call_id: call.id, content: "3" },
        { role: "assistant", content: "It is 3 degrees." },
        { role: "user", content: "And in Lima?" },
      ],
    });
    expect(third.choices[0]!.finish_reason).toBe("tool_calls");
  });

  it("refuses a tool result that answers no call", async () => {
    await expect(
      client.chat.completions.create({ model: "chat-llama", messages: [{ role: "user", content: "x" }, { role: "tool", tool_call_id: "call_nope", content: "r" }] }),
    ).rejects.toMatchObject({ status: 400, param: "messages.1.tool_call_id" });
  });
});

describe("tool request errors", () => {
  it("names the param at fault", async () => {
    await expect(ask("chat-llama", { tools: [WEATHER], tool_choice: { type: "function", function: { name: "nope" } } })).rejects.toMatchObject({
      status: 400, param: "tool_choice.function.name",
    });
    await expect(ask("chat-llama", { tool_choice: "required" })).rejects.toMatchObject({ status: 400, param: "tool_choice" });
    await expect(ask("chat-llama", { tools: [{ type: "function", function: { name: "bad name!" } }] })).rejects.toMatchObject({
      status: 400, param: "tools.0.function.name",
    });
    await expect(ask("chat-llama", { tools: [WEATHER, WEATHER], tool_choice: "required" })).rejects.toMatchObject({
      status: 400, param: "tools.1.function.name",
    });
  });

  it("lets the openai SDK's parse helper see a cut-off call and raise its own LengthFinishReasonError", async () => {
    const strictWeather = { ...WEATHER, function: { ...WEATHER.function, strict: true } };
    await expect(
      client.chat.completions.parse({
        model: "chat-llama", messages: [{ role: "user", content: "Weather?" }], max_tokens: 3, seed: 1, tools: [strictWeather], tool_choice: "required",
      }),
    ).rejects.toBeInstanceOf(LengthFinishReasonError);
  });

  it("lets tool_choice none hide the tools and answer in text", async () => {
    const answer = await ask("chat-llama", { tools: [WEATHER], tool_choice: "none", max_tokens: 5 });
    expect(answer.choices[0]!.message.tool_calls).toBeUndefined();
    expect(answer.choices[0]!.message.content).toBeTypeOf("string");
  });
});

describe.each(MODELS)("response_format on %s", (model) => {
  const PERSON = {
    type: "object",
    properties: {
      name: { type: "string", maxLength: 12 },
      mood: { enum: ["happy", "sad"] },
      tags: { type: "array", items: { type: "string", maxLength: 6 }, maxItems: 2 },
      pet: { anyOf: [{ type: "null" }, { type: "object", properties: { kind: { const: "cat" } }, required: ["kind"], additionalProperties: false }] },
    },
    required: ["name", "mood", "tags", "pet"],
    additionalProperties: false,
  };

  it("json_schema: the answer parses and matches the schema, streamed or not", async () => {
    // Random byte-level weights can write stray bytes inside a string, which llama.cpp's grammar
    // counts differently from the decoded text; the server's check then answers output_invalid
    // rather than hand on a string over its maxLength. Never anything else.
    let valid = 0;
    for (const seed of [1, 2, 3, 4, 5]) {
      const answer = await ask(model, { seed, response_format: { type: "json_schema", json_schema: { name: "person", schema: PERSON, strict: true } } }).catch(
        (e: { code?: string }) => e,
      );
      if ("code" in answer && answer.code) {
        expect(answer.code).toBe("output_invalid");
        continue;
      }
      const value = JSON.parse((answer as OpenAI.Chat.Completions.ChatCompletion).choices[0]!.message.content!) as Record<string, unknown>;
      expect(Object.keys(value).sort()).toEqual(["mood", "name", "pet", "tags"]);
      expect(["happy", "sad"]).toContain(value.mood);
      expect([...(value.name as string)].length).toBeLessThanOrEqual(12);
      valid++;
    }
    expect(valid).toBeGreaterThanOrEqual(3);
    const stream = await client.chat.completions.create({
      model, messages: [{ role: "user", content: "Describe someone" }], max_tokens: 200, seed: 4, stream: true,
      response_format: { type: "json_schema", json_schema: { name: "person", schema: PERSON } },
    });
    let text = "";
    try {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
      expect(JSON.parse(text)).toMatchObject({ mood: expect.stringMatching(/happy|sad/) });
    } catch (err) {
      // After the stream has begun, a failed check arrives as an error event.
      expect(err).toMatchObject({ code: "output_invalid" });
    }
  });

  it("json_object: the answer is a JSON object", async () => {
    const answer = await ask(model, { response_format: { type: "json_object" }, max_tokens: 300 });
    const { message, finish_reason } = answer.choices[0]!;
    // A free JSON object from random weights may run past max_tokens: then it comes as far as it got.
    if (finish_reason === "length") expect(message.content!.trimStart().startsWith("{")).toBe(true);
    else {
      const value = JSON.parse(message.content!) as unknown;
      expect(typeof value).toBe("object");
      expect(Array.isArray(value)).toBe(false);
    }
  });

  it("json_schema cut off by max_tokens: a 200 with finish_reason length and the JSON as far as it got, streamed or not", async () => {
    const format = { type: "json_schema", json_schema: { name: "person", schema: PERSON, strict: true } } as const;
    const full = await ask(model, { seed: 4, response_format: format });
    const limit = Math.min(full.usage!.completion_tokens - 3, 12);
    const cut = await ask(model, { seed: 4, response_format: format, max_tokens: limit });
    expect(cut.choices[0]!.finish_reason).toBe("length");
    expect(cut.usage!.completion_tokens).toBe(limit);
    const content = cut.choices[0]!.message.content!;
    expect(full.choices[0]!.message.content!.startsWith(content)).toBe(true);
    expect(() => JSON.parse(content)).toThrow();

    const stream = await client.chat.completions.create({
      model, messages: [{ role: "user", content: "What is the weather in Oslo?" }], max_tokens: limit, seed: 4, stream: true, response_format: format,
    });
    let text = "";
    let finish: string | null = null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect({ text, finish }).toEqual({ text: content, finish: "length" });
  });
});
