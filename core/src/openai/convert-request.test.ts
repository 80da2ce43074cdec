import { describe, expect, it } from "vitest";
import { contentText, toChatTurns, toPrompt, toSamplingParams, toStopSequences, wantsStream, wantsUsageChunk } from "./convert-request.js";
import type { ChatCompletionMessage } from "./types.js";

describe("toChatTurns", () => {
  it("turns developer messages into system turns", () => {
    expect(toChatTurns([{ role: "developer", content: "Be brief." }])).toEqual([{ role: "system", text: "Be brief." }]);
  });

  it("keeps system and user turns", () => {
    expect(toChatTurns([{ role: "system", content: "S" }, { role: "user", content: "U", name: "bob" }])).toEqual([
      { role: "system", text: "S" },
      { role: "user", text: "U" },
    ]);
  });

  it("joins text parts with no separator, as OpenAI does", () => {
    const messages: ChatCompletionMessage[] = [
      { role: "user", content: [{ type: "text", text: "Hello" }, { type: "text", text: " world" }, { type: "text", text: "!" }] },
    ];
    expect(toChatTurns(messages)).toEqual([{ role: "user", text: "Hello world!" }]);
  });

  it("gives an assistant turn with null or absent content the text \"\" and keeps its tool calls", () => {
    const call = { id: "call_1", type: "function" as const, function: { name: "weather", arguments: "{\"city\":\"Oslo\"}" } };
    expect(toChatTurns([{ role: "assistant", content: null, tool_calls: [call] }, { role: "assistant", tool_calls: [call] }])).toEqual([
      { role: "assistant", text: "", toolCalls: [{ id: "call_1", name: "weather", arguments: "{\"city\":\"Oslo\"}" }] },
      { role: "assistant", text: "", toolCalls: [{ id: "call_1", name: "weather", arguments: "{\"city\":\"Oslo\"}" }] },
    ]);
  });

  it("gives a plain assistant turn no tool calls, with tool_calls null or absent", () => {
    expect(toChatTurns([{ role: "assistant", content: "Hi" }, { role: "assistant", content: "Yo", tool_calls: null }])).toEqual([
      { role: "assistant", text: "Hi", toolCalls: [] },
      { role: "assistant", text: "Yo", toolCalls: [] },
    ]);
  });

  it("turns tool messages into tool turns with their call id", () => {
    const messages: ChatCompletionMessage[] = [
      { role: "tool", tool_call_id: "call_1", content: [{ type: "text", text: "12" }, { type: "text", text: "°C" }] },
    ];
    expect(toChatTurns(messages)).toEqual([{ role: "tool", toolCallId: "call_1", text: "12°C" }]);
  });
});

describe("contentText", () => {
  it("reads strings, parts, null and absent content", () => {
    expect(contentText("a")).toBe("a");
    expect(contentText([])).toBe("");
    expect(contentText(null)).toBe("");
    expect(contentText(undefined)).toBe("");
  });
});

describe("toSamplingParams", () => {
  it("maps every parameter to the engine's names", () => {
    expect(
      toSamplingParams({
        model: "m", max_tokens: 10, temperature: 0.5, top_p: 0.9, top_k: 40, min_p: 0.05, seed: -7,
        stop: ["\n", "END"], presence_penalty: 0.1, frequency_penalty: -0.2, logit_bias: { "50256": -100, "7": 5.5 },
      }),
    ).toEqual({
      maxTokens: 10, temperature: 0.5, topP: 0.9, topK: 40, minP: 0.05, seed: -7, stop: ["\n", "END"],
      presencePenalty: 0.1, frequencyPenalty: -0.2, logitBias: { 50256: -100, 7: 5.5 },
    });
  });

  it("gives logit_bias number keys", () => {
    const { logitBias } = toSamplingParams({ model: "m", logit_bias: { "123": 1 } });
    expect(Object.keys(logitBias ?? {})).toEqual(["123"]);
    expect(logitBias?.[123]).toBe(1);
  });

  it("lets max_completion_tokens win over max_tokens", () => {
    expect(toSamplingParams({ model: "m", max_tokens: 10, max_completion_tokens: 20 }).maxTokens).toBe(20);
    expect(toSamplingParams({ model: "m", max_tokens: 10, max_completion_tokens: null }).maxTokens).toBe(10);
  });

  it("drops nulls and absent fields, leaving an empty stop list", () => {
    const params = toSamplingParams({
      model: "m", max_tokens: null, max_completion_tokens: null, temperature: null, top_p: null, top_k: null,
      min_p: null, seed: null, stop: null, presence_penalty: null, frequency_penalty: null, logit_bias: null,
    });
    expect(params).toEqual({ stop: [] });
    expect(toSamplingParams({ model: "m" })).toEqual({ stop: [] });
  });

  it("keeps zeros, which are values and not absence", () => {
    expect(toSamplingParams({ model: "m", temperature: 0, top_k: 0, seed: 0 })).toEqual({ stop: [], temperature: 0, topK: 0, seed: 0 });
  });

  it("leaves out an empty logit_bias", () => {
    expect(toSamplingParams({ model: "m", logit_bias: {} })).toEqual({ stop: [] });
  });
});

describe("toStopSequences", () => {
  it("normalises a string, an array, null and absence to an array", () => {
    expect(toStopSequences("\n")).toEqual(["\n"]);
    expect(toStopSequences(["a", "b"])).toEqual(["a", "b"]);
    expect(toStopSequences(null)).toEqual([]);
    expect(toStopSequences(undefined)).toEqual([]);
  });

  it("copies the array rather than sharing the request's", () => {
    const stop = ["a"];
    expect(toStopSequences(stop)).not.toBe(stop);
  });
});

describe("toPrompt", () => {
  it("reads a string prompt or the one string of an array", () => {
    expect(toPrompt({ prompt: "Once" })).toBe("Once");
    expect(toPrompt({ prompt: ["Upon"] })).toBe("Upon");
  });
});

describe("wantsStream and wantsUsageChunk", () => {
  it("stream only when stream is true", () => {
    expect(wantsStream({ stream: true })).toBe(true);
    expect(wantsStream({ stream: false })).toBe(false);
    expect(wantsStream({ stream: null })).toBe(false);
    expect(wantsStream({})).toBe(false);
  });

  it("a usage chunk only when stream_options.include_usage is true", () => {
    expect(wantsUsageChunk({ stream_options: { include_usage: true } })).toBe(true);
    expect(wantsUsageChunk({ stream_options: { include_usage: null } })).toBe(false);
    expect(wantsUsageChunk({ stream_options: null })).toBe(false);
    expect(wantsUsageChunk({})).toBe(false);
  });
});
