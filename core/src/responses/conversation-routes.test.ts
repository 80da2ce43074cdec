/**
 * `/v1/conversations` in process: the real Koa app over a {@link FakeEngine} and an in-memory state
 * database, every route and its errors, and a response with `conversation` appending its turn.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeEngine } from "../engine/fake-engine.js";
import type { ChatRequest } from "../engine/types.js";
import { startTestApp, type TestApp } from "../http/test-app.fixture.js";
import { openStateDb } from "../state/state-db.js";

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

async function call(method: string, path: string, body?: unknown) {
  const answer = await app.request(method, path, body);
  return { status: answer.status, body: answer.text === "" ? null : answer.json() };
}
const message = (id: string, text: string) => ({ type: "message", id, role: "user", content: [{ type: "input_text", text }] });
const ids = (list: { data: { id: string }[] }) => list.data.map((item) => item.id);

describe("conversations", () => {
  it("creates one with items and metadata, reads, updates and deletes it", async () => {
    const created = await call("POST", "/v1/conversations", { items: [message("msg_a", "hi"), { role: "user", content: "plain" }], metadata: { topic: "demo" } });
    expect(created.status).toBe(200);
    expect(created.body).toEqual({ id: expect.stringMatching(/^conv_/), object: "conversation", created_at: expect.any(Number), metadata: { topic: "demo" } });
    const id = created.body.id as string;
    expect((await call("GET", `/v1/conversations/${id}`)).body).toEqual(created.body);
    const updated = await call("POST", `/v1/conversations/${id}`, { metadata: { topic: "other" } });
    expect(updated.body).toEqual({ ...created.body, metadata: { topic: "other" } });
    const items = (await call("GET", `/v1/conversations/${id}/items?order=asc`)).body;
    // A string content is read back as parts, and an item sent without an id gets one.
    expect(items.data[1]).toEqual({ type: "message", id: expect.stringMatching(/^msg_/), role: "user", content: [{ type: "input_text", text: "plain" }] });
    expect((await call("DELETE", `/v1/conversations/${id}`)).body).toEqual({ id, object: "conversation.deleted", deleted: true });
    expect((await call("GET", `/v1/conversations/${id}`)).status).toBe(404);
    expect((await call("GET", `/v1/conversations/${id}/items`)).status).toBe(404);
  });

  it("creates an empty one from an empty body", async () => {
    const created = await call("POST", "/v1/conversations", {});
    expect(created.body).toMatchObject({ object: "conversation", metadata: {} });
    expect((await call("GET", `/v1/conversations/${created.body.id}/items`)).body).toEqual({ object: "list", data: [], first_id: null, last_id: null, has_more: false });
  });

  it("answers an unknown conversation with a 404 on every route", async () => {
    const routes: [string, string, unknown?][] = [
      ["GET", "/v1/conversations/conv_none"],
      ["POST", "/v1/conversations/conv_none", { metadata: {} }],
      ["DELETE", "/v1/conversations/conv_none"],
      ["GET", "/v1/conversations/conv_none/items"],
      ["POST", "/v1/conversations/conv_none/items", { items: [message("msg_x", "x")] }],
      ["GET", "/v1/conversations/conv_none/items/msg_x"],
      ["DELETE", "/v1/conversations/conv_none/items/msg_x"],
    ];
    for (const [method, path, body] of routes) {
      const { status, body: answer } = await call(method, path, body);
      expect({ method, path, status, code: answer.error.code, param: answer.error.param }).toEqual({ method, path, status: 404, code: "conversation_not_found", param: "conversation_id" });
      expect(answer.error.message).toBe("Conversation with id 'conv_none' not found.");
    }
  });

  it("refuses bad bodies with a 400 naming the field", async () => {
    const id = (await call("POST", "/v1/conversations", {})).body.id as string;
    const many = Array.from({ length: 21 }, (_, i) => message(`msg_${i}`, "x"));
    const cases: [string, string, unknown, string, RegExp][] = [
      ["POST", "/v1/conversations", { items: many }, "items", /at most 20 items/],
      ["POST", "/v1/conversations", { items: [{ type: "reasoning" }] }, "items.0.type", /"reasoning" is not supported/],
      ["POST", "/v1/conversations", { metadata: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, "v"])) }, "metadata", /at most 16/],
      ["POST", "/v1/conversations", { items: [message("msg_d", "a"), message("msg_d", "b")] }, "items.1.id", /already an item/],
      ["POST", `/v1/conversations/${id}`, {}, "metadata", /metadata/],
      ["POST", `/v1/conversations/${id}/items`, { items: [] }, "items", /items/],
      ["POST", `/v1/conversations/${id}/items`, { items: many }, "items", /at most 20 items/],
      ["POST", `/v1/conversations/${id}/items`, { items: [{ type: "function_call_output", output: "x" }] }, "items.0.call_id", /call_id/],
    ];
    for (const [method, path, body, param, pattern] of cases) {
      const { status, body: answer } = await call(method, path, body);
      expect({ path, status, param: answer.error.param }).toEqual({ path, status: 400, param });
      expect(answer.error.message).toMatch(pattern);
    }
  });
});

describe("conversation items", () => {
  it("adds items, pages them with after, limit and order, reads and deletes one", async () => {
    const id = (await call("POST", "/v1/conversations", { items: [message("msg_0", "zero")] })).body.id as string;
    const added = await call("POST", `/v1/conversations/${id}/items`, { items: [1, 2, 3, 4].map((i) => message(`msg_${i}`, `n${i}`)) });
    expect(added.body).toMatchObject({ object: "list", first_id: "msg_1", last_id: "msg_4", has_more: false });
    expect(ids(added.body)).toEqual(["msg_1", "msg_2", "msg_3", "msg_4"]);
    // An id already in the conversation cannot be added twice.
    expect((await call("POST", `/v1/conversations/${id}/items`, { items: [message("msg_2", "again")] })).body.error.param).toBe("items.0.id");

    const first = (await call("GET", `/v1/conversations/${id}/items?limit=2`)).body;
    expect(first).toMatchObject({ object: "list", first_id: "msg_4", last_id: "msg_3", has_more: true });
    const second = (await call("GET", `/v1/conversations/${id}/items?limit=2&after=msg_3`)).body;
    expect({ ids: ids(second), has_more: second.has_more }).toEqual({ ids: ["msg_2", "msg_1"], has_more: true });
    const asc = (await call("GET", `/v1/conversations/${id}/items?order=asc&after=msg_2`)).body;
    expect({ ids: ids(asc), has_more: asc.has_more }).toEqual({ ids: ["msg_3", "msg_4"], has_more: false });

    for (const [query, param] of [["limit=0", "limit"], ["limit=101", "limit"], ["order=up", "order"], ["after=msg_none", "after"]]) {
      const { status, body } = await call("GET", `/v1/conversations/${id}/items?${query}`);
      expect({ query, status, param: body.error.param }).toEqual({ query, status: 400, param });
    }

    expect((await call("GET", `/v1/conversations/${id}/items/msg_2`)).body).toEqual({ ...message("msg_2", "n2") });
    const deleted = await call("DELETE", `/v1/conversations/${id}/items/msg_2`);
    expect(deleted.body).toMatchObject({ id, object: "conversation" });
    for (const method of ["GET", "DELETE"]) {
      const { status, body } = await call(method, `/v1/conversations/${id}/items/msg_2`);
      expect({ status, code: body.error.code, param: body.error.param }).toEqual({ status: 404, code: "conversation_not_found", param: "item_id" });
    }
    expect(ids((await call("GET", `/v1/conversations/${id}/items?order=asc`)).body)).toEqual(["msg_0", "msg_1", "msg_3", "msg_4"]);
  });

  it("gives a response with conversation the items as history, then appends its input and output", async () => {
    const id = (await call("POST", "/v1/conversations", { items: [message("msg_h", "earlier")] })).body.id as string;
    const response = (await call("POST", "/v1/responses", { model: "fake-chat", input: "now", conversation: id })).body;
    expect(response.conversation).toEqual({ id });
    expect((engine.requests.at(-1) as ChatRequest).turns.map((t) => t.text)).toEqual(["earlier", "now"]);
    const items = (await call("GET", `/v1/conversations/${id}/items?order=asc`)).body;
    expect(items.data.map((item: { role: string }) => item.role)).toEqual(["user", "user", "assistant"]);
    expect(items.last_id).toBe(response.output[0].id);
  });
});
