/**
 * Requests shaped as Codex CLI sends them, in process: `store: false`, ~20 KB of instructions, the
 * whole history every turn with the `function_call` items the client replays under ids this server
 * never issued, and the limits a client meets (metadata, repeated item ids) as clear 400s, never a 500.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeEngine } from "../engine/fake-engine.js";
import type { ChatRequest } from "../engine/types.js";
import { startTestApp, type TestApp } from "../http/test-app.fixture.js";
import { openStateDb } from "../state/state-db.js";

const state = openStateDb({ file: ":memory:" });
// Calls the shell tool with valid arguments when a tool is required; otherwise echoes the last user turn.
const engine = new FakeEngine({
  answer: (request) => {
    const { turns, toolChoice } = request as ChatRequest;
    if (toolChoice?.mode === "required") return { toolCalls: [{ name: "shell", arguments: '{"command":["ls"]}' }] };
    return { text: `You said: ${[...turns].reverse().find((turn) => turn.role === "user")?.text ?? ""}` };
  },
});
let app: TestApp;

beforeAll(async () => {
  app = await startTestApp({ engine, state, maxBodyBytes: 4 << 20 });
});
afterAll(async () => {
  await app.close();
  state.dispose();
});

const INSTRUCTIONS = "You are a coding agent. Follow the repository's conventions.\n".repeat(340);
const TOOLS = [
  { type: "function", name: "shell", description: "Runs a command", parameters: { type: "object", properties: { command: { type: "array", items: { type: "string" } } }, required: ["command"] }, strict: false },
  { type: "namespace", name: "mcp", tools: [{ type: "function", name: "read_file", parameters: { type: "object", properties: { path: { type: "string" } } } }] },
  { type: "web_search" },
];
const lastTurns = () => (engine.requests.at(-1) as ChatRequest).turns;

describe("Codex-shaped requests", () => {
  it("answers each turn of a store-false session that replays the whole history with its own ids", async () => {
    expect(INSTRUCTIONS.length).toBeGreaterThan(20_000);
    const history: Record<string, unknown>[] = [{ type: "message", role: "user", content: [{ type: "input_text", text: "list the files" }] }];
    const base = { model: "fake-chat", instructions: INSTRUCTIONS, tools: TOOLS, store: false, parallel_tool_calls: false, stream: false };
    // Turn 1: the model calls the shell tool.
    const first = await app.request("POST", "/v1/responses", { ...base, tool_choice: "required", input: history });
    expect(first.status).toBe(200);
    const call = first.json().output[0];
    expect(call).toMatchObject({ type: "function_call", name: "shell", call_id: "call_fake_0" });
    expect((await app.request("GET", `/v1/responses/${first.json().id}`)).status).toBe(404);
    // Turn 2: the client replays the call under an id of its own, and the output.
    history.push({ type: "function_call", id: "fc_client_made_up_1", call_id: call.call_id, name: "shell", arguments: '{"command":["ls"]}' });
    history.push({ type: "function_call_output", call_id: call.call_id, output: "README.md\nsrc" });
    // The same id twice, and one this server stored for another response: both are accepted.
    const stored = (await app.request("POST", "/v1/responses", { model: "fake-chat", input: "x" })).json().output[0].id;
    history.push({ type: "message", id: stored, role: "assistant", content: [{ type: "output_text", text: "Two files." }] });
    history.push({ type: "message", id: stored, role: "user", content: "thanks, now read README.md" });
    const second = await app.request("POST", "/v1/responses", { ...base, tool_choice: "none", input: history });
    expect(second.status).toBe(200);
    expect(second.json().output[0].content[0].text).toBe("You said: thanks, now read README.md");
    expect(lastTurns()).toEqual([
      { role: "system", text: INSTRUCTIONS },
      { role: "user", text: "list the files" },
      { role: "assistant", text: "", toolCalls: [{ id: "call_fake_0", name: "shell", arguments: '{"command":["ls"]}' }] },
      { role: "tool", toolCallId: "call_fake_0", text: "README.md\nsrc" },
      { role: "assistant", text: "Two files.", toolCalls: [] },
      { role: "user", text: "thanks, now read README.md" },
    ]);
    // The tools inside Codex's namespace reach the model; the hosted ones it cannot run do not.
    expect((engine.requests.at(-1) as ChatRequest).tools?.map((tool) => tool.name)).toEqual(["shell", "read_file"]);
  });

  it("stores a replayed history with repeated ids, and pages its input items", async () => {
    const input = [
      { type: "message", id: "msg_same", role: "user", content: "one" },
      { type: "message", id: "msg_same", role: "user", content: "two" },
    ];
    const body = (await app.request("POST", "/v1/responses", { model: "fake-chat", input })).json();
    const page = (await app.request("GET", `/v1/responses/${body.id}/input_items?order=asc`)).json();
    expect(page.data.map((item: { id: string }) => item.id)).toEqual(["msg_same", "msg_same"]);
  });

  it("names an item type it does not know (reasoning, as Codex may send) in a 400", async () => {
    const answer = await app.request("POST", "/v1/responses", {
      model: "fake-chat", store: false,
      input: [{ type: "message", role: "user", content: "hi" }, { type: "reasoning", id: "rs_1", summary: [], encrypted_content: "abc" }],
    });
    expect(answer.status).toBe(400);
    expect(answer.json().error).toMatchObject({ code: "invalid_parameter", param: "input.1.type", message: expect.stringMatching(/"reasoning" is not supported/) });
  });

  it("refuses an item id the conversation already holds with a 400, not a 500", async () => {
    const conversation = (await app.request("POST", "/v1/conversations", { items: [{ type: "message", id: "msg_kept", role: "user", content: "hello" }] })).json();
    const taken = await app.request("POST", "/v1/responses", { model: "fake-chat", conversation: conversation.id, input: [{ type: "message", id: "msg_kept", role: "user", content: "again" }] });
    expect(taken.status).toBe(400);
    expect(taken.json().error).toMatchObject({ param: "input.0.id", message: expect.stringMatching(/already an item of this conversation/) });
    const twice = await app.request("POST", "/v1/responses", {
      model: "fake-chat", conversation: conversation.id,
      input: [{ type: "message", id: "msg_new", role: "user", content: "a" }, { type: "message", id: "msg_new", role: "user", content: "b" }],
    });
    expect(twice.status).toBe(400);
    expect(twice.json().error.param).toBe("input.1.id");
    const items = (await app.request("GET", `/v1/conversations/${conversation.id}/items`)).json();
    expect(items.data.map((item: { id: string }) => item.id)).toEqual(["msg_kept"]);
  });

  it("refuses metadata past OpenAI's limits with a 400 naming the field", async () => {
    const cases: [Record<string, string>, RegExp][] = [
      [Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, "v"])), /at most 16 pairs/],
      [{ ["k".repeat(65)]: "v" }, /metadata/],
      [{ k: "v".repeat(513) }, /metadata\.k/],
    ];
    for (const [metadata, message] of cases) {
      for (const path of ["/v1/responses", "/v1/conversations"]) {
        const answer = await app.request("POST", path, { model: "fake-chat", input: "hi", metadata });
        expect(answer.status, `${path} ${JSON.stringify(metadata).slice(0, 40)}`).toBe(400);
        expect(answer.json().error.code).toBe("invalid_parameter");
        expect(answer.json().error.message).toMatch(message);
      }
    }
    expect((await app.request("POST", "/v1/responses", { model: "fake-chat", input: "hi", metadata: Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`k${i}`.padEnd(64, "x"), "v".repeat(512)])) })).status).toBe(200);
  });
});
