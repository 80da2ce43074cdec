import { describe, expect, it } from "vitest";
import { FakeEngine, type FakeAnswer } from "../engine/fake-engine.js";
import { GenerationAborted, type ChatRequest, type ChatTurn, type ToolCallDelta } from "../engine/types.js";
import { fakePlugins } from "./fake-plugins.fixture.js";
import { selectPluginTools } from "./select-plugin-tools.js";
import { runToolLoop, type ToolLoopOptions } from "./tool-loop.js";
import type { RoundTrace, ToolCallTrace, ToolTraceEntry } from "./tool-trace.js";

const turns: ChatTurn[] = [{ role: "user", text: "what is six times seven" }];

/** An engine that answers round N (counted by the tool turns so far) with `script[N]`. */
function scripted(script: FakeAnswer[], options: { tokenDelayMs?: number } = {}) {
  return new FakeEngine({
    ...options,
    answer: (request) => {
      const round = (request as ChatRequest).turns.filter((turn) => turn.role === "assistant").length;
      return script[Math.min(round, script.length - 1)]!;
    },
  });
}

function loop(engine: FakeEngine, extra: Partial<ToolLoopOptions> = {}, source = fakePlugins()) {
  const pluginTools = selectPluginTools(source, { model: "fake-chat", requested: ["calculator", "time", "bomb"], clientToolNames: new Set() }, {});
  return runToolLoop({ engine, source, model: "fake-chat", signal: new AbortController().signal, requestId: "req-1", turns, sampling: { stop: [] }, clientTools: [], pluginTools, ...extra });
}

const calls = (trace: ToolTraceEntry[]) => trace.filter((e): e is ToolCallTrace => e.type === "tool_call");
const rounds = (trace: ToolTraceEntry[]) => trace.filter((e): e is RoundTrace => e.type === "round");
const chatRequests = (engine: FakeEngine) => engine.requests.filter((r): r is ChatRequest => "turns" in r);

describe("runToolLoop", () => {
  it("runs a plugin call, shows its result to the next round, and traces both rounds", async () => {
    const engine = scripted([{ toolCalls: [{ name: "calculator__calculate", arguments: '{"expression":"6*7"}' }] }, { text: "It is 42." }]);
    const source = fakePlugins();
    const result = await loop(engine, {}, source);

    expect(result).toMatchObject({ text: "It is 42.", finishReason: "stop" });
    expect(result.toolCalls).toBeUndefined();
    expect(source.calls).toMatchObject([{ name: "calculate", plugin: "calculator", arguments: { expression: "6*7" }, options: { requestId: "req-1" } }]);
    const second = chatRequests(engine)[1]!;
    expect(second.turns.at(-2)).toMatchObject({ role: "assistant", toolCalls: [{ id: "call_fake_0", name: "calculator__calculate" }] });
    expect(second.turns.at(-1)).toEqual({ role: "tool", toolCallId: "call_fake_0", text: '{"result":"42"}' });
    expect(calls(result.trace)).toMatchObject([{ round: 1, name: "calculator__calculate", plugin: "calculator", tool: "calculate", arguments: { expression: "6*7" }, result: { result: "42" } }]);
    expect(rounds(result.trace).map((r) => [r.round, r.tools, r.finish_reason, r.plugin_calls])).toEqual([[1, "auto", "tool_calls", 1], [2, "auto", "stop", 0]]);
    expect(engine.sessions).toEqual({ opened: 1, released: 1 });
  });

  it("sums usage over every round and reports the prompt tokens the kept cache saved", async () => {
    const engine = scripted([{ toolCalls: [{ name: "time__now", arguments: "{}" }] }, { text: "done" }]);
    const result = await loop(engine);
    const [first, second] = rounds(result.trace);
    expect(result.promptTokens).toBe(first!.prompt_tokens + second!.prompt_tokens);
    expect(result.completionTokens).toBe(first!.completion_tokens + second!.completion_tokens);
    expect(first).toMatchObject({ prompt_tokens_reused: 0, prompt_tokens_evaluated: first!.prompt_tokens });
    // Round 2 only evaluates the tool result: the rest is the cache of round 1.
    expect(second!.prompt_tokens_reused).toBe(first!.prompt_tokens);
    expect(second!.prompt_tokens_evaluated).toBe(second!.prompt_tokens - first!.prompt_tokens);
    expect(calls(result.trace)[0]).toMatchObject({ prompt_tokens_evaluated: first!.prompt_tokens_evaluated, prompt_tokens_reused: 0 });
  });

  it("turns bad arguments, a trap and a timeout into tool results the model reads", async () => {
    const engine = scripted([
      { toolCalls: [{ name: "calculator__calculate", arguments: '{"expression": 7}' }, { name: "bomb__trap", arguments: "{}" }, { name: "bomb__loop", arguments: "{}" }, { name: "calculator__calculate", arguments: "not json" }] },
      { text: "sorry" },
    ]);
    const source = fakePlugins();
    const result = await loop(engine, { parallelToolCalls: true }, source);
    expect(result.text).toBe("sorry");
    expect(calls(result.trace).map((c) => c.error)).toEqual([
      { code: "invalid_arguments", message: "arguments.expression must be a string" },
      { code: "tool_failed", message: "bomb trap: the plugin trapped (unreachable)" },
      { code: "tool_timeout", message: "bomb loop: timed out after 1000 ms" },
      { code: "invalid_arguments", message: "arguments are not valid JSON" },
    ]);
    expect(calls(result.trace)[3]!.arguments).toBe("not json");
    // Invalid arguments never reach the sandbox.
    expect(source.calls.map((c) => c.name)).toEqual(["trap", "loop"]);
    const toolTurns = chatRequests(engine)[1]!.turns.filter((t) => t.role === "tool").map((t) => t.text);
    expect(toolTurns).toEqual([
      "Error: arguments.expression must be a string",
      "Error: bomb trap: the plugin trapped (unreachable)",
      "Error: bomb loop: timed out after 1000 ms",
      "Error: arguments are not valid JSON",
    ]);
  });

  it("runs the calls of one turn concurrently", async () => {
    const engine = scripted([{ toolCalls: [{ name: "time__now", arguments: "{}" }, { name: "calculator__calculate", arguments: '{"expression":"6*7"}' }] }, { text: "ok" }]);
    const source = fakePlugins(50);
    await loop(engine, {}, source);
    const [a, b] = source.calls;
    expect(b!.startedAt).toBeLessThan(a!.endedAt!);
  });

  it("runs the plugin calls of a mixed turn, then returns the client's calls, numbered from 0", async () => {
    const engine = scripted([{ toolCalls: [{ name: "time__now", arguments: "{}" }, { name: "get_weather", arguments: '{"city":"Oslo"}' }] }]);
    const deltas: ToolCallDelta[] = [];
    const source = fakePlugins();
    const result = await loop(engine, { clientTools: [{ name: "get_weather", parameters: { type: "object" } }], onToolCall: (d) => deltas.push(d) }, source);
    expect(result.finishReason).toBe("tool_calls");
    expect(result.toolCalls).toEqual([{ id: "call_fake_1", name: "get_weather", arguments: '{"city":"Oslo"}' }]);
    expect(deltas).toEqual([{ index: 0, id: "call_fake_1", name: "get_weather" }, { index: 0, arguments: '{"city":"Oslo"}' }]);
    expect(source.calls.map((c) => c.name)).toEqual(["now"]);
    expect(rounds(result.trace)).toMatchObject([{ round: 1, plugin_calls: 1, client_calls: 1, finish_reason: "tool_calls" }]);
    expect(chatRequests(engine)).toHaveLength(1);
  });

  it("applies tool_choice to round 1 only, plugin_tool_choice after, and answers with tools off when rounds run out", async () => {
    const engine = new FakeEngine();
    const entries: ToolTraceEntry[][] = [];
    const result = await loop(engine, { toolChoice: { mode: "named", name: "time__now" }, pluginToolChoice: "required", maxRounds: 3, onTrace: (e) => entries.push(e) });
    const requests = chatRequests(engine);
    expect(requests.map((r) => r.toolChoice)).toEqual([{ mode: "named", name: "time__now" }, { mode: "required" }, { mode: "required" }, undefined]);
    expect(requests[3]!.tools).toBeUndefined();
    expect(rounds(result.trace).map((r) => r.tools)).toEqual(["named", "required", "required", "off"]);
    expect(rounds(result.trace).at(-1)).toMatchObject({ round: 4, rounds_exhausted: true, finish_reason: "stop" });
    expect(calls(result.trace)).toHaveLength(3);
    expect(result).toMatchObject({ finishReason: "stop", text: "You said: what is six times seven" });
    expect(entries.flat()).toEqual(result.trace);
  });

  it("streams every round's text, separated by a blank line, as the answer's content", async () => {
    const engine = scripted([{ text: "Let me check.", toolCalls: [{ name: "time__now", arguments: "{}" }] }, { text: "It is noon." }]);
    const streamed: string[] = [];
    const result = await loop(engine, { onText: (t) => streamed.push(t) });
    expect(result.text).toBe("Let me check.\n\nIt is noon.");
    expect(streamed.join("")).toBe(result.text);
    expect(chatRequests(engine)[1]!.turns.at(-2)).toMatchObject({ role: "assistant", text: "Let me check." });
  });

  it("releases the slot and counts every round's tokens when the client leaves", async () => {
    const engine = scripted([{ toolCalls: [{ name: "time__now", arguments: "{}" }] }, { text: "a b c d e f g h" }], { tokenDelayMs: 20 });
    const abort = new AbortController();
    const running = loop(engine, { signal: abort.signal });
    setTimeout(() => abort.abort(), 60);
    const err = await running.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GenerationAborted);
    expect((err as GenerationAborted).promptTokens).toBeGreaterThan(chatRequests(engine)[1]!.turns.length);
    expect(engine.sessions).toEqual({ opened: 1, released: 1 });
  });
});
