import { describe, expect, it } from "vitest";
import { answerMessage, chatDelta, doneFields, generateDone, toDoneReason, toOllamaToolCalls } from "./convert-response.js";

describe("doneFields", () => {
  it("reports counts and splits the time into load, prompt evaluation and generation, in nanoseconds", () => {
    const done = doneFields({ promptTokens: 12, completionTokens: 5, finishReason: "stop" }, { startedAt: 1000, loadedAt: 1250, firstOutputAt: 1300, endedAt: 1400.5 });
    expect(done).toEqual({
      done: true, done_reason: "stop",
      total_duration: 400_500_000, load_duration: 250_000_000,
      prompt_eval_count: 12, prompt_eval_duration: 50_000_000,
      eval_count: 5, eval_duration: 100_500_000,
    });
  });

  it("counts everything after the load as prompt evaluation when nothing came out", () => {
    const done = doneFields({ promptTokens: 3, completionTokens: 0, finishReason: "length" }, { startedAt: 0, loadedAt: 0, endedAt: 2 });
    expect(done).toMatchObject({ done_reason: "length", prompt_eval_duration: 2_000_000, eval_duration: 0, load_duration: 0 });
  });
});

describe("toDoneReason", () => {
  it("ends a tool-calling answer with stop, as Ollama does", () => {
    expect(toDoneReason("tool_calls")).toBe("stop");
    expect(toDoneReason("stop")).toBe("stop");
    expect(toDoneReason("length")).toBe("length");
  });
});

describe("toOllamaToolCalls", () => {
  it("gives the arguments as an object, and keeps text that does not parse as it is", () => {
    expect(toOllamaToolCalls([
      { id: "call_a", name: "get_weather", arguments: '{"city":"Oslo"}' },
      { id: "call_b", name: "cut", arguments: '{"city":"Os' },
      { id: "call_c", name: "list", arguments: "[1]" },
    ])).toEqual([
      { function: { index: 0, name: "get_weather", arguments: { city: "Oslo" } } },
      { function: { index: 1, name: "cut", arguments: '{"city":"Os' } },
      { function: { index: 2, name: "list", arguments: "[1]" } },
    ]);
  });
});

describe("answer lines", () => {
  it("carries tool calls only when there are some", () => {
    expect(answerMessage("hi", undefined)).toEqual({ role: "assistant", content: "hi" });
    expect(answerMessage("hi", [])).toEqual({ role: "assistant", content: "hi" });
    expect(answerMessage("", [{ id: "c", name: "f", arguments: "{}" }]).tool_calls).toEqual([{ function: { index: 0, name: "f", arguments: {} } }]);
  });

  it("echoes the model as the client named it, with an RFC 3339 time", () => {
    const line = chatDelta({ model: "chat:latest" }, { role: "assistant", content: "x" });
    expect(line).toMatchObject({ model: "chat:latest", done: false, message: { content: "x" } });
    expect(new Date(line.created_at).toISOString()).toBe(line.created_at);
    const done = generateDone({ model: "m" }, "all", doneFields({ promptTokens: 1, completionTokens: 1, finishReason: "stop" }, { startedAt: 0, loadedAt: 0, endedAt: 1 }));
    expect(done).toMatchObject({ model: "m", response: "all", done: true, done_reason: "stop" });
  });
});
