/**
 * Anthropic's Messages API driven by Anthropic's own SDK (`@anthropic-ai/sdk`) against one real
 * server on the ChatML fixture model, with an API key so the SDK's `x-api-key` header is what lets
 * it in: plain and streamed answers, a tool use round trip, a forced tool, count_tokens agreeing
 * with the usage of a real generation, and the SDK's error classes for refused requests.
 */
import Anthropic, { AuthenticationError, BadRequestError, NotFoundError } from "@anthropic-ai/sdk";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startShimmy, type ShimmyProcess } from "./helpers/shimmy-process.js";

const MODEL = "chat-llama";
const KEY = "anthropic-test-key";
// The SDK's types no longer list `temperature` (Anthropic deprecated it for newer models); the API
// and Shimmy still take it, and greedy sampling keeps these answers stable.
const GREEDY = { temperature: 0 } as {};
let shimmy: ShimmyProcess;
let client: Anthropic;

// Random weights write random arguments: the parameters are enums, so calls stay short and valid.
const WEATHER: Anthropic.Tool = {
  name: "get_weather",
  description: "Current weather in a city",
  input_schema: { type: "object", properties: { city: { type: "string", enum: ["Oslo", "Lima", "Pune"] }, unit: { enum: ["C", "F"] } }, required: ["city", "unit"] },
};
const QUESTION: Anthropic.MessageParam = { role: "user", content: "What is the weather in Oslo?" };

beforeAll(async () => {
  shimmy = await startShimmy({ args: ["--model", inject("fixtureModels").chat, "--api-key", KEY] });
  client = new Anthropic({ baseURL: shimmy.url, apiKey: KEY, maxRetries: 0, timeout: 60_000 });
});
afterAll(() => shimmy?.stop());

function expectWeatherCall(block: Anthropic.ContentBlock | undefined): Anthropic.ToolUseBlock {
  expect(block).toMatchObject({ type: "tool_use", name: "get_weather" });
  const call = block as Anthropic.ToolUseBlock;
  expect(call.id).toMatch(/^call_/);
  expect(["Oslo", "Lima", "Pune"]).toContain((call.input as { city: string }).city);
  expect(["C", "F"]).toContain((call.input as { unit: string }).unit);
  return call;
}

describe("messages through Anthropic's SDK", () => {
  it("answers a plain message in Anthropic's shape, the key sent as x-api-key", async () => {
    const message = await client.messages.create({ model: MODEL, max_tokens: 8, ...GREEDY, system: "You are terse.", messages: [{ role: "user", content: "Hi" }] });
    expect(message).toMatchObject({ type: "message", role: "assistant", model: MODEL, stop_sequence: null });
    expect(message.id).toMatch(/^msg_/);
    expect(message.content).toHaveLength(1);
    expect(message.content[0]!.type).toBe("text");
    expect(["end_turn", "max_tokens"]).toContain(message.stop_reason);
    expect(message.usage.input_tokens).toBeGreaterThan(3);
    expect(message.usage.output_tokens).toBeGreaterThan(0);
    expect(message.usage.output_tokens).toBeLessThanOrEqual(8);
  });

  it("streams with client.messages.stream: the text events make up the final message", async () => {
    const stream = client.messages.stream({ model: MODEL, max_tokens: 12, ...GREEDY, messages: [{ role: "user", content: "Tell me a story" }] });
    let streamed = "";
    stream.on("text", (text) => (streamed += text));
    const final = await stream.finalMessage();
    expect(final.content).toEqual([{ type: "text", text: streamed }]);
    expect(streamed.length).toBeGreaterThan(0);
    expect(final.stop_reason).toBe("max_tokens");
    expect(final.usage).toMatchObject({ output_tokens: 12 });
    expect(final.usage.input_tokens).toBeGreaterThan(3);
  });

  it("ends at a stop sequence with stop_reason stop_sequence naming it", async () => {
    const params = { model: MODEL, max_tokens: 16, ...GREEDY, messages: [{ role: "user" as const, content: "Tell me a story" }] };
    const full = ((await client.messages.create(params)).content[0] as Anthropic.TextBlock).text;
    // Greedy sampling writes the same text again: a piece from its middle must stop it there.
    const stop = full.slice(Math.floor(full.length / 2)).trim().slice(0, 2);
    expect(stop.length).toBe(2);
    const cut = await client.messages.create({ ...params, stop_sequences: [stop] });
    expect(cut).toMatchObject({ stop_reason: "stop_sequence", stop_sequence: stop });
    expect(full.startsWith((cut.content[0] as Anthropic.TextBlock).text + stop)).toBe(true);
  });

  it("runs a tool use round trip: tool_use, then tool_result, then the answer", async () => {
    const first = await client.messages.create({ model: MODEL, max_tokens: 200, ...GREEDY, tools: [WEATHER], tool_choice: { type: "any" }, messages: [QUESTION] });
    expect(first.stop_reason).toBe("tool_use");
    const call = expectWeatherCall(first.content.find((block) => block.type === "tool_use"));
    const history: Anthropic.MessageParam[] = [
      QUESTION, { role: "assistant", content: first.content }, { role: "user", content: [{ type: "tool_result", tool_use_id: call.id, content: "12 C and sunny" }] },
    ];
    const second = await client.messages.create({ model: MODEL, max_tokens: 8, ...GREEDY, tools: [WEATHER], tool_choice: { type: "none" }, messages: history });
    expect(second.content[0]!.type).toBe("text");
    expect(["end_turn", "max_tokens"]).toContain(second.stop_reason);
    // The call and its result are in the prompt: more than the question alone.
    const question = await client.messages.countTokens({ model: MODEL, messages: [QUESTION] });
    expect(second.usage.input_tokens).toBeGreaterThan(question.input_tokens + 10);
  });

  it("forces the named tool, streamed as input_json_delta events into the final message", async () => {
    const stream = client.messages.stream({ model: MODEL, max_tokens: 200, ...GREEDY, tools: [WEATHER], tool_choice: { type: "tool", name: "get_weather" }, messages: [QUESTION] });
    let json = "";
    stream.on("inputJson", (partial) => (json += partial));
    const final = await stream.finalMessage();
    expect(final.stop_reason).toBe("tool_use");
    const call = expectWeatherCall(final.content.find((block) => block.type === "tool_use"));
    expect(JSON.parse(json)).toEqual(call.input);
  });

  it("counts tokens as the generation counts its prompt, with the model's tokenizer and template", async () => {
    const params = { model: MODEL, system: "You are terse.", messages: [QUESTION], tools: [WEATHER] };
    const { input_tokens } = await client.messages.countTokens(params);
    const answer = await client.messages.create({ ...params, max_tokens: 1, tool_choice: { type: "none" } });
    const withoutTools = await client.messages.countTokens({ model: MODEL, system: "You are terse.", messages: [QUESTION] });
    expect(input_tokens).toBeGreaterThan(withoutTools.input_tokens);
    // tool_choice none hides the tools from the prompt, as count_tokens without tools sees it.
    expect(answer.usage.input_tokens).toBe(withoutTools.input_tokens);
  });
});

describe("errors through Anthropic's SDK", () => {
  it("raises BadRequestError with invalid_request_error for an image block", async () => {
    const image: Anthropic.MessageParam = { role: "user", content: [{ type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" } }] };
    const err = await client.messages.create({ model: MODEL, max_tokens: 8, messages: [image] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as BadRequestError).error).toMatchObject({ type: "error", error: { type: "invalid_request_error", message: expect.stringContaining("messages.0.content.0.type") } });
  });

  it("raises NotFoundError for an unknown model, AuthenticationError for a wrong key, and takes Bearer", async () => {
    await expect(client.messages.create({ model: "nope", max_tokens: 8, messages: [QUESTION] })).rejects.toBeInstanceOf(NotFoundError);
    const wrong = new Anthropic({ baseURL: shimmy.url, apiKey: "wrong", maxRetries: 0 });
    await expect(wrong.messages.countTokens({ model: MODEL, messages: [QUESTION] })).rejects.toBeInstanceOf(AuthenticationError);
    const bearer = new Anthropic({ baseURL: shimmy.url, apiKey: null, authToken: KEY, maxRetries: 0 });
    expect((await bearer.messages.countTokens({ model: MODEL, messages: [QUESTION] })).input_tokens).toBeGreaterThan(0);
  });
});
