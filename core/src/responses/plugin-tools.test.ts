/**
 * Server-side plugin tools in `/v1/responses`, in process: the real app over a {@link FakeEngine}
 * that calls the first tool it is offered, and the in-memory plugins of `fake-plugins.fixture.ts`.
 * Each call the server ran is a `function_call` item then a `function_call_output` item, streamed,
 * stored and read back.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeEngine } from "../engine/fake-engine.js";
import type { ChatRequest } from "../engine/types.js";
import { startTestApp, type TestApp } from "../http/test-app.fixture.js";
import type { InstalledPlugins } from "../plugins/installed-plugins.js";
import { openStateDb } from "../state/state-db.js";
import { fakePlugins } from "../tools/fake-plugins.fixture.js";

const engine = new FakeEngine({
  answer: (request) => {
    const { turns, tools = [], toolChoice } = request as ChatRequest;
    const results = turns.filter((t) => t.role === "tool").map((t) => t.text);
    if (results.length > 0 || tools.length === 0 || toolChoice?.mode === "none") return { text: `results: ${results.join(" | ") || "none"}` };
    const name = toolChoice?.mode === "named" ? toolChoice.name : tools[0]!.name;
    return { toolCalls: [{ name, arguments: name === "calculator__calculate" ? '{"expression":"6*7"}' : "{}" }] };
  },
});
const plugins = Object.assign(fakePlugins(), { health: () => ({ ready: 3, failed: [] }) }) as unknown as InstalledPlugins;
const state = openStateDb({ file: ":memory:" });
let app: TestApp;

beforeAll(async () => {
  app = await startTestApp({ engine, plugins, state, defaultPlugins: { "*": ["time"] } });
});
afterAll(async () => {
  await app.close();
  state.dispose();
});

const create = (extra: Record<string, unknown>) => app.request("POST", "/v1/responses", { model: "fake-chat", input: "what is 6*7?", ...extra });

const PLUGIN_OUTPUT = [
  { id: expect.stringMatching(/^fc_/), type: "function_call", status: "completed", call_id: "call_fake_0", name: "calculator__calculate", arguments: '{"expression":"6*7"}' },
  { id: expect.stringMatching(/^fco_/), type: "function_call_output", status: "completed", call_id: "call_fake_0", output: '{"result":"42"}' },
  { id: expect.stringMatching(/^msg_/), type: "message", status: "completed", role: "assistant", content: [{ type: "output_text", text: 'results: {"result":"42"}', annotations: [], logprobs: [] }] },
];

describe("plugin tools in responses", () => {
  it("runs the named plugin's tool and returns each call as function_call and function_call_output items, stored", async () => {
    const { status, json } = await create({ plugins: ["calculator"] });
    expect(status).toBe(200);
    const body = json();
    expect(body.output).toEqual(PLUGIN_OUTPUT);
    expect(body.status).toBe("completed");
    // Both rounds' usage, as chat completions sums it.
    expect(body.usage.output_tokens).toBeGreaterThan(2);
    expect((await app.request("GET", `/v1/responses/${body.id}`)).json().output).toEqual(body.output);
  });

  it("streams the calls as output items before the answer, the final output the same", async () => {
    const { text } = await create({ plugins: ["calculator"], stream: true });
    const events = text.split("\n\n").filter(Boolean).map((frame) => JSON.parse(frame.split("\n")[1]!.slice("data: ".length)));
    const items = events.filter((e) => e.type === "response.output_item.done").map((e) => e.item);
    expect(items).toEqual(PLUGIN_OUTPUT);
    expect(events.filter((e) => e.type === "response.output_item.done").map((e) => e.output_index)).toEqual([0, 1, 2]);
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    const added = events.filter((e) => e.type === "response.output_item.added").map((e) => `${e.output_index}:${e.item.type}`);
    expect(added).toEqual(["0:function_call", "1:function_call_output", "2:message"]);
    const completed = events.at(-1);
    expect(completed.type).toBe("response.completed");
    expect(completed.response.output).toEqual(items);
    expect((await app.request("GET", `/v1/responses/${completed.response.id}`)).json().output).toEqual(items);
  });

  it("gives a request that names no plugins its model's defaults, and plugins [] none", async () => {
    expect((await create({})).json().output.map((item: { type: string; name?: string }) => item.name ?? item.type)).toEqual(["time__now", "function_call_output", "message"]);
    expect((await create({ plugins: [] })).json().output).toMatchObject([{ type: "message", content: [{ text: "results: none" }] }]);
  });

  it("stops after max_tool_rounds and honours plugin_tool_choice", async () => {
    const body = (await create({ plugins: ["calculator"], max_tool_rounds: 1, plugin_tool_choice: "required" })).json();
    expect(body.output.map((item: { type: string }) => item.type)).toEqual(["function_call", "function_call_output", "message"]);
  });

  it("continues a stored run: the calls and their outputs are replayed as history", async () => {
    const first = (await create({ plugins: ["calculator"] })).json();
    await create({ previous_response_id: first.id, input: "and again?", plugins: [] });
    const turns = (engine.requests.at(-1) as ChatRequest).turns;
    expect(turns.map((t) => t.role)).toEqual(["user", "assistant", "tool", "assistant", "user"]);
    expect(turns[2]).toEqual({ role: "tool", toolCallId: "call_fake_0", text: '{"result":"42"}' });
  });

  it("refuses plugins it does not have and bad loop fields with a 400 naming them", async () => {
    const missing = await create({ plugins: ["not-installed"] });
    expect(missing.status).toBe(400);
    expect(missing.json().error.message).toMatch(/not-installed/);
    const rounds = await create({ plugins: ["calculator"], max_tool_rounds: 0 });
    expect(rounds.status).toBe(400);
    expect(rounds.json().error.param).toBe("max_tool_rounds");
  });
});
