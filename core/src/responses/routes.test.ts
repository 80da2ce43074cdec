/**
 * `/v1/responses` in process: the real Koa app over a {@link FakeEngine} and an in-memory state
 * database. The end-to-end file `test/responses.e2e.test.ts` runs the same routes over llama.cpp.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeEngine } from "../engine/fake-engine.js";
import type { ChatRequest } from "../engine/types.js";
import { startTestApp, type TestApp } from "../http/test-app.fixture.js";
import { openStateDb } from "../state/state-db.js";
import { SqliteConversationStore } from "../state/conversations-repo.js";

const state = openStateDb({ file: ":memory:" });
const engine = new FakeEngine();
let app: TestApp;

beforeAll(async () => {
  app = await startTestApp({ engine, state });
});
afterAll(async () => {
  await app.close();
  state.dispose();
});

const call = (method: string, path: string, body?: unknown) => app.request(method, path, body);
const create = (extra: Record<string, unknown> = {}) => call("POST", "/v1/responses", { model: "fake-chat", input: "hello there", ...extra });
const lastChat = () => engine.requests.at(-1) as ChatRequest;

describe("POST /v1/responses", () => {
  it("answers a string input with a completed response in OpenAI's shape", async () => {
    const { status, json } = await create({ metadata: { k: "v" } });
    expect(status).toBe(200);
    const body = json();
    expect(body.id).toMatch(/^resp_[A-Za-z0-9]{24}$/);
    expect(body).toMatchObject({
      object: "response", status: "completed", model: "fake-chat", error: null, incomplete_details: null, previous_response_id: null, conversation: null,
      metadata: { k: "v" }, store: true, usage: { input_tokens: 5, output_tokens: 4, total_tokens: 9 },
      output: [{ type: "message", role: "assistant", status: "completed", content: [{ type: "output_text", text: "You said: hello there", annotations: [] }] }],
    });
    expect(body.output[0].id).toMatch(/^msg_/);
  });

  it("puts instructions first as a system turn and reads message, function_call and function_call_output items", async () => {
    await create({
      instructions: "Be brief",
      input: [
        { role: "developer", content: "dev text" },
        { type: "message", role: "user", content: [{ type: "input_text", text: "weather?" }] },
        { type: "function_call", id: "fc_never_issued", call_id: "call_1", name: "get_weather", arguments: "{}" },
        { type: "function_call", call_id: "call_2", name: "get_time", arguments: "{}" },
        { type: "function_call_output", call_id: "call_1", output: "sunny" },
        { type: "function_call_output", call_id: "call_2", output: [{ type: "input_text", text: "noon" }] },
      ],
    });
    expect(lastChat().turns).toEqual([
      { role: "system", text: "Be brief" },
      { role: "system", text: "dev text" },
      { role: "user", text: "weather?" },
      { role: "assistant", text: "", toolCalls: [{ id: "call_1", name: "get_weather", arguments: "{}" }, { id: "call_2", name: "get_time", arguments: "{}" }] },
      { role: "tool", toolCallId: "call_1", text: "sunny" },
      { role: "tool", toolCallId: "call_2", text: "noon" },
    ]);
  });

  it("returns a function call item with its call_id when the model calls a tool", async () => {
    const tools = [{ type: "function", name: "get_time", parameters: { type: "object", properties: {} } }, { type: "web_search" }];
    const body = (await create({ tools, tool_choice: "required" })).json();
    expect(body.output).toEqual([{ id: expect.stringMatching(/^fc_/), type: "function_call", status: "completed", call_id: "call_fake_0", name: "get_time", arguments: "{}" }]);
    expect(body.tools).toEqual([tools[0]]);
    expect(lastChat().toolChoice).toEqual({ mode: "required" });
  });

  it("ends at max_output_tokens as incomplete, with the reason", async () => {
    const body = (await create({ max_output_tokens: 2 })).json();
    expect(body).toMatchObject({ status: "incomplete", incomplete_details: { reason: "max_output_tokens" }, output: [{ status: "incomplete", content: [{ text: "You said: " }] }] });
  });

  it("refuses what it cannot serve with a 400 that names the field", async () => {
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ input: [{ type: "reasoning", summary: [] }] }, "input.0.type", /"reasoning" is not supported/],
      [{ input: [{ role: "user", content: [{ type: "input_image", image_url: "x" }] }] }, "input.0.content.0.type", /"input_image", but this server takes input_text/],
      [{ input: [{ type: "function_call_output", output: "x" }] }, "input.0.call_id", /call_id/],
      [{ metadata: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, "v"])) }, "metadata", /at most 16/],
      [{ previous_response_id: "resp_x", conversation: "conv_x" }, "conversation", /cannot both be given/],
      [{ tools: [{ type: "function", name: "bad name!" }] }, "tools.0.name", /letters, digits/],
      [{ text: { format: { type: "json_schema", name: "x" } }, tool_choice: "none" }, "text.format.schema", /Missing required parameter: text.format.schema/],
      [{ text: { format: { type: "json_schema", name: "x", schema: { type: "object", properties: { a: { type: "string", pattern: "(" } } } } }, tool_choice: "none" }, "text.format.schema", /text.format.schema is not a valid JSON/],
    ];
    for (const [extra, param, message] of cases) {
      const { status, json } = await create(extra);
      expect({ status, param: json().error.param }).toEqual({ status: 400, param });
      expect(json().error.message).toMatch(message);
    }
  });

  it("passes text.format json_schema to the engine as a grammar and checks the answer against it", async () => {
    const { status, json } = await create({ text: { format: { type: "json_schema", name: "answer", schema: { type: "object" } } } });
    expect(lastChat().responseFormat).toMatchObject({ type: "json_schema" });
    // The fake answers plain text, which is not JSON: the check refuses it as it refuses it for chat.
    expect({ status, code: json().error.code }).toEqual({ status: 500, code: "output_invalid" });
  });
});

type StreamEvent = { type: string; sequence_number: number } & Record<string, any>;
function parseEvents(text: string): StreamEvent[] {
  return text.split("\n\n").filter(Boolean).map((frame) => {
    const [eventLine, dataLine] = frame.split("\n");
    const event = JSON.parse(dataLine!.replace(/^data: /, "")) as StreamEvent;
    expect(eventLine).toBe(`event: ${event.type}`);
    return event;
  });
}

describe("streamed responses", () => {
  it("sends every event in OpenAI's order, numbered, deltas adding up to the text, and no [DONE]", async () => {
    const { status, text } = await create({ stream: true });
    expect(status).toBe(200);
    expect(text).not.toContain("[DONE]");
    const events = parseEvents(text);
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    const types = events.map((e) => e.type).filter((t, i, all) => t !== all[i - 1]);
    expect(types).toEqual([
      "response.created", "response.in_progress", "response.output_item.added", "response.content_part.added", "response.output_text.delta",
      "response.output_text.done", "response.content_part.done", "response.output_item.done", "response.completed",
    ]);
    const deltas = events.filter((e) => e.type === "response.output_text.delta").map((e) => e.delta).join("");
    const completed = events.at(-1)!.response;
    expect(deltas).toBe("You said: hello there");
    expect(completed.output[0].content[0].text).toBe(deltas);
    expect(events[0]!.response).toMatchObject({ id: completed.id, status: "in_progress", output: [] });
    expect((await call("GET", `/v1/responses/${completed.id}`)).json()).toEqual(completed);
  });

  it("streams a function call as item, argument deltas and done events", async () => {
    const tools = [{ type: "function", name: "get_time", parameters: { type: "object", properties: {} } }];
    const events = parseEvents((await create({ stream: true, tools, tool_choice: "required" })).text);
    expect(events.map((e) => e.type)).toEqual([
      "response.created", "response.in_progress", "response.output_item.added", "response.function_call_arguments.delta",
      "response.function_call_arguments.done", "response.output_item.done", "response.completed",
    ]);
    expect(events[2]!.item).toMatchObject({ type: "function_call", status: "in_progress", call_id: "call_fake_0", name: "get_time", arguments: "" });
    expect(events[4]).toMatchObject({ arguments: "{}", name: "get_time", item_id: events[2]!.item.id });
    expect(events[5]!.item).toEqual(events[6]!.response.output[0]);
  });

  it("answers an unknown model with an HTTP 404 before any event", async () => {
    const { status, json } = await create({ stream: true, model: "nope" });
    expect({ status, code: json().error.code }).toEqual({ status: 404, code: "model_not_found" });
  });
});

describe("stored responses", () => {
  it("reads back, lists input items, and deletes a stored response", async () => {
    const input = Array.from({ length: 5 }, (_, i) => ({ type: "message", id: `msg_in${i}`, role: "user", content: `turn ${i}` }));
    const created = (await create({ input })).json();
    expect((await call("GET", `/v1/responses/${created.id}`)).json()).toEqual(created);
    const page = (await call("GET", `/v1/responses/${created.id}/input_items?limit=2`)).json();
    expect(page).toMatchObject({ object: "list", first_id: "msg_in4", last_id: "msg_in3", has_more: true });
    const next = (await call("GET", `/v1/responses/${created.id}/input_items?limit=2&after=msg_in3`)).json();
    expect(next.data.map((item: { id: string }) => item.id)).toEqual(["msg_in2", "msg_in1"]);
    const asc = (await call("GET", `/v1/responses/${created.id}/input_items?order=asc&after=msg_in2`)).json();
    expect(asc).toMatchObject({ first_id: "msg_in3", last_id: "msg_in4", has_more: false });
    expect((await call("GET", `/v1/responses/${created.id}/input_items?limit=0`)).json().error.param).toBe("limit");
    expect((await call("DELETE", `/v1/responses/${created.id}`)).json()).toEqual({ id: created.id, object: "response", deleted: true });
    expect((await call("GET", `/v1/responses/${created.id}`)).status).toBe(404);
    expect((await call("DELETE", `/v1/responses/${created.id}`)).status).toBe(404);
  });

  it("keeps nothing with store false", async () => {
    const created = (await create({ store: false })).json();
    expect(created.store).toBe(false);
    const { status, json } = await call("GET", `/v1/responses/${created.id}`);
    expect({ status, code: json().error.code }).toEqual({ status: 404, code: "response_not_found" });
  });

  it("continues a chain with previous_response_id, without the earlier instructions", async () => {
    const first = (await create({ input: "one", instructions: "Old rules" })).json();
    const second = (await create({ input: "two", previous_response_id: first.id })).json();
    await create({ input: "three", previous_response_id: second.id, instructions: "New rules" });
    expect(lastChat().turns).toEqual([
      { role: "system", text: "New rules" },
      { role: "user", text: "one" },
      { role: "assistant", text: "You said: one", toolCalls: [] },
      { role: "user", text: "two" },
      { role: "assistant", text: "You said: two", toolCalls: [] },
      { role: "user", text: "three" },
    ]);
    expect(second.previous_response_id).toBe(first.id);
    const { status, json } = await create({ previous_response_id: "resp_unknown" });
    expect({ status, code: json().error.code, param: json().error.param }).toEqual({ status: 404, code: "response_not_found", param: "previous_response_id" });
  });

  it("prepends a conversation's items and appends the turn to it", async () => {
    const conversations = new SqliteConversationStore(state.db);
    conversations.create({ id: "conv_test", createdAt: 1, metadata: {} }, [{ id: "msg_c0", type: "message", role: "user", content: "earlier" }]);
    const body = (await create({ input: "now", conversation: "conv_test" })).json();
    expect(body.conversation).toEqual({ id: "conv_test" });
    expect(lastChat().turns.map((t) => t.text)).toEqual(["earlier", "now"]);
    expect(conversations.allItems("conv_test")!.map((item) => item.type)).toEqual(["message", "message", "message"]);
    expect((await create({ conversation: { id: "conv_none" } })).json().error).toMatchObject({ code: "conversation_not_found", param: "conversation" });
  });
});
