/**
 * The Responses API through the official `openai` client against the real server on the ChatML
 * fixture model: plain and streamed answers, a function tool round trip, structured output,
 * `store: false`, a chain continued with `previous_response_id` after the server was killed -9, and
 * the Conversations API through `client.conversations`; a kill -9 mid-stream and after a completed
 * turn, then the conversation continued; background responses; the 400s a client meets.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type OpenAI from "openai";
import { startShimmy, type ShimmyProcess } from "./helpers/shimmy-process.js";

const MODEL = "chat-llama";
// Shared by the servers of this file, so the restart test finds what the first one stored.
const stateHome = fs.mkdtempSync(path.join(os.tmpdir(), "shimmy-responses-"));
let shimmy: ShimmyProcess;
let client: OpenAI;

const start = () => startShimmy({ args: ["--model", inject("fixtureModels").chat], env: { SHIMMY_HOME: stateHome } });
beforeAll(async () => {
  shimmy = await start();
  client = shimmy.client();
});
afterAll(async () => {
  await shimmy?.stop();
  fs.rmSync(stateHome, { recursive: true, force: true });
});

// Random weights write random arguments: the parameters are enums, so calls stay short.
const WEATHER: OpenAI.Responses.FunctionTool = {
  type: "function",
  name: "get_weather",
  description: "Current weather in a city",
  parameters: { type: "object", properties: { city: { type: "string", enum: ["Oslo", "Lima"] } }, required: ["city"], additionalProperties: false },
  strict: true,
};

describe("responses.create", () => {
  it("answers in OpenAI's shape with usage", async () => {
    const response = await client.responses.create({ model: MODEL, input: "Hello there", max_output_tokens: 8 });
    expect(response.id).toMatch(/^resp_/);
    expect(response).toMatchObject({ object: "response", model: MODEL, previous_response_id: null, store: true });
    expect(["completed", "incomplete"]).toContain(response.status);
    expect(response.output[0]).toMatchObject({ type: "message", role: "assistant" });
    expect(typeof response.output_text).toBe("string");
    expect(response.usage!.output_tokens).toBeLessThanOrEqual(8);
    expect(response.usage!.total_tokens).toBe(response.usage!.input_tokens + response.usage!.output_tokens);
    expect(await client.responses.retrieve(response.id)).toMatchObject({ id: response.id, output: response.output });
  });

  it("streams every event type in order, the deltas adding up to the output text", async () => {
    // Greedy: sampled, the random-weight fixture ends its turn at once now and then (no text, so no delta).
    const stream = await client.responses.create({ model: MODEL, input: "Tell me", max_output_tokens: 12, temperature: 0, stream: true });
    const events: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    const types = events.map((e) => e.type).filter((t, i, all) => t !== all[i - 1]);
    const end = types.at(-1)!;
    expect(["response.completed", "response.incomplete"]).toContain(end);
    expect(types).toEqual([
      "response.created", "response.in_progress", "response.output_item.added", "response.content_part.added", "response.output_text.delta",
      "response.output_text.done", "response.content_part.done", "response.output_item.done", end,
    ]);
    const deltas = events.flatMap((e) => (e.type === "response.output_text.delta" ? [e.delta] : [])).join("");
    const last = events.at(-1) as OpenAI.Responses.ResponseCompletedEvent;
    const message = last.response.output[0] as OpenAI.Responses.ResponseOutputMessage;
    expect((message.content[0] as OpenAI.Responses.ResponseOutputText).text).toBe(deltas);
  });

  it("round-trips a function call through function_call_output, replaying the whole input as Codex does", async () => {
    const input: OpenAI.Responses.ResponseInput = [
      { type: "message", role: "developer", content: [{ type: "input_text", text: "You answer weather questions." }] },
      { type: "message", role: "user", content: [{ type: "input_text", text: "What is the weather in Oslo?" }] },
    ];
    const first = await client.responses.create({ model: MODEL, input, tools: [WEATHER], tool_choice: "required", store: false, max_output_tokens: 200 });
    const call = first.output.find((item) => item.type === "function_call") as OpenAI.Responses.ResponseFunctionToolCall;
    expect(call).toMatchObject({ type: "function_call", name: "get_weather", status: "completed" });
    expect(call.call_id).toMatch(/^call_/);
    expect(["Oslo", "Lima"]).toContain((JSON.parse(call.arguments) as { city: string }).city);
    const second = await client.responses.create({
      model: MODEL, tools: [WEATHER], tool_choice: "none", store: false, max_output_tokens: 8,
      input: [...input, call, { type: "function_call_output", call_id: call.call_id, output: "Sunny, 21 C" }],
    });
    expect(second.output.map((item) => item.type)).toEqual(["message"]);
    expect(["completed", "incomplete"]).toContain(second.status);
  });

  it("answers text.format json_schema with JSON that matches the schema", async () => {
    const response = await client.responses.create({
      model: MODEL, input: "Pick a city", max_output_tokens: 200,
      text: { format: { type: "json_schema", name: "city", strict: true, schema: { type: "object", properties: { city: { type: "string", enum: ["Oslo", "Lima"] } }, required: ["city"], additionalProperties: false } } },
    });
    expect(response.status).toBe("completed");
    expect(["Oslo", "Lima"]).toContain((JSON.parse(response.output_text) as { city: string }).city);
  });

  it("keeps nothing with store false: GET is a 404", async () => {
    const response = await client.responses.create({ model: MODEL, input: "Hi", store: false, max_output_tokens: 4 });
    await expect(client.responses.retrieve(response.id)).rejects.toMatchObject({ status: 404, code: "response_not_found" });
  });
});

describe("stored chains", () => {
  it("continues with previous_response_id after the server was killed -9 and restarted", async () => {
    const first = await client.responses.create({ model: MODEL, input: "My name is Ada", max_output_tokens: 6 });
    shimmy.child.kill("SIGKILL");
    await shimmy.stop();
    shimmy = await start();
    client = shimmy.client();
    expect(await client.responses.retrieve(first.id)).toMatchObject({ id: first.id, output: first.output });
    const second = await client.responses.create({ model: MODEL, input: "What is my name?", previous_response_id: first.id, max_output_tokens: 6 });
    expect(second.previous_response_id).toBe(first.id);
    const alone = await client.responses.create({ model: MODEL, input: "What is my name?", store: false, max_output_tokens: 1 });
    // The chain's prompt holds the first turn too.
    expect(second.usage!.input_tokens).toBeGreaterThan(alone.usage!.input_tokens + 4);
    const items = await client.responses.inputItems.list(second.id);
    expect(items.data).toMatchObject([{ type: "message", role: "user", content: [{ type: "input_text", text: "What is my name?" }] }]);
    await expect(client.responses.create({ model: MODEL, input: "x", previous_response_id: "resp_missing" })).rejects.toMatchObject({ status: 404, param: "previous_response_id" });
  });
});

describe("kill -9 mid-stream and after a completed turn", () => {
  it("restarts with the conversation and chain intact, the cut turn absent, and no background response left running", async () => {
    const conversation = await client.conversations.create({ items: [{ type: "message", role: "user", content: "My name is Ada" }] });
    // Greedy turns: sampled, the random-weight fixture ends a turn at once now and then (2.7 % within
    // two tokens here), and a streamed turn that completes before the kill is kept. Greedy, it runs to its limit.
    const done = await client.responses.create({ model: MODEL, input: "Remember it", conversation: conversation.id, max_output_tokens: 4, temperature: 0 });
    const background = await client.responses.create({ model: MODEL, input: "Tell a long story", background: true, max_output_tokens: 400 });
    expect(background).toMatchObject({ status: "queued", background: true });
    // A streamed turn in the same conversation, killed after its first event with text.
    const stream = await client.responses.create({ model: MODEL, input: "Now write at length", conversation: conversation.id, stream: true, max_output_tokens: 400, temperature: 0 });
    let cutId: string | undefined;
    for await (const event of stream) {
      if (event.type === "response.created") cutId = event.response.id;
      if (event.type === "response.output_text.delta" || event.type === "response.completed" || event.type === "response.incomplete") break;
    }
    shimmy.child.kill("SIGKILL");
    await shimmy.stop();
    shimmy = await start();
    client = shimmy.client();

    // The cut turn was never kept: neither as a response nor in the conversation.
    expect(cutId).toMatch(/^resp_/);
    await expect(client.responses.retrieve(cutId!)).rejects.toMatchObject({ status: 404 });
    const before: OpenAI.Conversations.ConversationItem[] = [];
    for await (const item of client.conversations.items.list(conversation.id, { order: "asc" })) before.push(item);
    expect(before.map((item) => item.id)).toEqual([before[0]!.id, expect.any(String), done.output[0]!.id]);
    // A background response is never left queued or in progress by a killed server.
    const after = await client.responses.retrieve(background.id);
    expect(["completed", "incomplete", "failed"]).toContain(after.status);
    if (after.status === "failed") expect(after.error).toMatchObject({ code: "server_stopped", message: expect.stringMatching(/stopped before/) });
    // Both continue: the conversation, and the chain through the completed turn's response.
    const next = await client.responses.create({ model: MODEL, input: "What is my name?", conversation: conversation.id, max_output_tokens: 4 });
    const alone = await client.responses.create({ model: MODEL, input: "What is my name?", store: false, max_output_tokens: 1 });
    expect(next.usage!.input_tokens).toBeGreaterThan(alone.usage!.input_tokens + 8);
    const items: OpenAI.Conversations.ConversationItem[] = [];
    for await (const item of client.conversations.items.list(conversation.id, { order: "asc" })) items.push(item);
    expect(items).toHaveLength(5);
    expect(items[4]!.id).toBe(next.output[0]!.id);
  });
});

describe("background and refusals", () => {
  it("runs a background response to the end, read back with retrieve; cancelling it then is a 400", async () => {
    const created = await client.responses.create({ model: MODEL, input: "Hi", background: true, max_output_tokens: 8 });
    expect(created).toMatchObject({ status: "queued", background: true, output: [] });
    let response = created;
    for (let i = 0; i < 300 && (response.status === "queued" || response.status === "in_progress"); i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      response = await client.responses.retrieve(created.id);
    }
    expect(["completed", "incomplete"]).toContain(response.status);
    expect(response.output[0]).toMatchObject({ type: "message", role: "assistant" });
    await expect(client.responses.cancel(created.id)).rejects.toMatchObject({ status: 400, code: "response_not_cancellable" });
    const foreground = await client.responses.create({ model: MODEL, input: "Hi", max_output_tokens: 1 });
    await expect(client.responses.cancel(foreground.id)).rejects.toMatchObject({ status: 400, code: "response_not_cancellable" });
    await expect(client.responses.create({ model: MODEL, input: "Hi", background: true, store: false })).rejects.toMatchObject({ status: 400, param: "background" });
  });

  it("answers oversized metadata, unknown item types, both ids and bad ids with clear 4xx", async () => {
    const seventeen = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, "v"]));
    await expect(client.responses.create({ model: MODEL, input: "Hi", metadata: seventeen })).rejects.toMatchObject({ status: 400, code: "invalid_parameter", param: "metadata" });
    await expect(client.responses.create({ model: MODEL, input: "Hi", metadata: { k: "v".repeat(513) } })).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/metadata/) });
    await expect(client.conversations.create({ metadata: { ["k".repeat(65)]: "v" } })).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/metadata/) });
    const reasoning = [{ type: "reasoning", id: "rs_1", summary: [] }] as unknown as OpenAI.Responses.ResponseInput;
    await expect(client.responses.create({ model: MODEL, input: reasoning })).rejects.toMatchObject({ status: 400, param: "input.0.type", message: expect.stringMatching(/"reasoning"/) });
    await expect(client.responses.create({ model: MODEL, input: "Hi", previous_response_id: "resp_x", conversation: "conv_x" })).rejects.toMatchObject({ status: 400, param: "conversation" });
    await expect(client.responses.retrieve("resp_unknown")).rejects.toMatchObject({ status: 404, code: "response_not_found" });
    await expect(client.responses.cancel("resp_unknown")).rejects.toMatchObject({ status: 404 });
  });
});

describe("conversations", () => {
  it("creates a conversation, answers in it, and appends each turn to its items", async () => {
    const empty = await client.conversations.create();
    expect(empty).toMatchObject({ object: "conversation", metadata: {} });
    const conversation = await client.conversations.create({
      metadata: { topic: "names" },
      items: [{ type: "message", role: "user", content: "My name is Ada" }],
    });
    expect(conversation.id).toMatch(/^conv_/);
    const response = await client.responses.create({ model: MODEL, input: "What is my name?", conversation: conversation.id, max_output_tokens: 6 });
    expect(response.conversation).toEqual({ id: conversation.id });
    const items: OpenAI.Conversations.ConversationItem[] = [];
    for await (const item of client.conversations.items.list(conversation.id, { order: "asc", limit: 1 })) items.push(item);
    expect(items.map((item) => item.type === "message" && item.role)).toEqual(["user", "user", "assistant"]);
    expect(items[2]!.id).toBe(response.output[0]!.id);
    const firstId = items[0]!.id!;
    expect(await client.conversations.items.retrieve(firstId, { conversation_id: conversation.id })).toMatchObject({ type: "message", content: [{ type: "input_text", text: "My name is Ada" }] });
    expect(await client.conversations.update(conversation.id, { metadata: { topic: "done" } })).toMatchObject({ metadata: { topic: "done" } });
    expect(await client.conversations.items.delete(firstId, { conversation_id: conversation.id })).toMatchObject({ id: conversation.id });
    expect(await client.conversations.delete(conversation.id)).toEqual({ id: conversation.id, object: "conversation.deleted", deleted: true });
    await expect(client.conversations.retrieve(conversation.id)).rejects.toMatchObject({ status: 404, code: "conversation_not_found" });
  });
});
