import { describe, expect, it } from "vitest";
import { generateAsChatBody, toChatCompletionBody, toOpenAIMessages, toResponseFormat, toSampling, wantsOllamaStream } from "./convert-request.js";

describe("toSampling", () => {
  it("maps Ollama's options onto the engine's sampling settings", () => {
    expect(toSampling({ temperature: 0.2, top_p: 0.9, top_k: 40, min_p: 0.05, seed: 7, num_predict: 64, stop: ["\n"], presence_penalty: 0.5, frequency_penalty: 0.25 })).toEqual({
      temperature: 0.2, topP: 0.9, topK: 40, minP: 0.05, seed: 7, maxTokens: 64, stop: ["\n"], presencePenalty: 0.5, frequencyPenalty: 0.25,
    });
  });

  it("leaves the engine's cap for num_predict -1 (no limit) and -2 (fill the context), and ignores settings it does not act on", () => {
    expect(toSampling({ num_predict: -1 })).toEqual({ stop: [] });
    expect(toSampling({ num_predict: -2, num_ctx: 8192, repeat_penalty: 1.1, mirostat: 2 })).toEqual({ stop: [] });
  });

  it("takes absent and null options as the defaults", () => {
    expect(toSampling(undefined)).toEqual({ stop: [] });
    expect(toSampling(null)).toEqual({ stop: [] });
    expect(toSampling({ temperature: null as unknown as number })).toEqual({ stop: [] });
  });
});

describe("toResponseFormat", () => {
  it("turns \"json\" into any JSON object and a schema into a json_schema format", () => {
    expect(toResponseFormat("json")).toEqual({ type: "json_object" });
    const schema = { type: "object", properties: { a: { type: "number" } } };
    expect(toResponseFormat(schema)).toEqual({ type: "json_schema", json_schema: { name: "format", schema } });
  });

  it("gives no format for absent, null and empty", () => {
    expect(toResponseFormat(undefined)).toBeUndefined();
    expect(toResponseFormat(null)).toBeUndefined();
    expect(toResponseFormat("")).toBeUndefined();
  });
});

describe("toOpenAIMessages", () => {
  it("gives the tool calls ids and their arguments as JSON text, and matches each tool result to its call by tool_name", () => {
    const messages = toOpenAIMessages([
      { role: "user", content: "weather and time?" },
      {
        role: "assistant", content: "",
        tool_calls: [{ function: { name: "get_weather", arguments: { city: "Oslo" } } }, { function: { name: "get_time", arguments: { zone: "CET" } } }],
      },
      { role: "tool", content: "10:00", tool_name: "get_time" },
      { role: "tool", content: "snow", tool_name: "get_weather" },
    ]);
    expect(messages).toEqual([
      { role: "user", content: "weather and time?" },
      {
        role: "assistant", content: "",
        tool_calls: [
          { id: "call_1_0", type: "function", function: { name: "get_weather", arguments: '{"city":"Oslo"}' } },
          { id: "call_1_1", type: "function", function: { name: "get_time", arguments: '{"zone":"CET"}' } },
        ],
      },
      { role: "tool", tool_call_id: "call_1_1", content: "10:00" },
      { role: "tool", tool_call_id: "call_1_0", content: "snow" },
    ]);
  });

  it("matches results without a tool_name in call order, keeps client ids, and marks a result that answers nothing", () => {
    const messages = toOpenAIMessages([
      { role: "assistant", tool_calls: [{ id: "abc", function: { name: "f", arguments: '{"x":1}' } }, { function: { name: "f", arguments: {} } }] },
      { role: "tool", content: "one" },
      { role: "tool", content: "two" },
      { role: "tool", content: "three" },
    ]);
    expect(messages.slice(1)).toEqual([
      { role: "tool", tool_call_id: "abc", content: "one" },
      { role: "tool", tool_call_id: "call_0_1", content: "two" },
      { role: "tool", tool_call_id: "call_unmatched_0", content: "three" },
    ]);
    expect((messages[0] as { tool_calls: { function: { arguments: string } }[] }).tool_calls[0]!.function.arguments).toBe('{"x":1}');
  });

  it("matches a result by tool_call_id when the client sends one", () => {
    const messages = toOpenAIMessages([
      { role: "assistant", tool_calls: [{ id: "a", function: { name: "f", arguments: {} } }, { id: "b", function: { name: "f", arguments: {} } }] },
      { role: "tool", content: "for b", tool_call_id: "b" },
    ]);
    expect(messages[1]).toEqual({ role: "tool", tool_call_id: "b", content: "for b" });
  });

  it("gives a message without content the text \"\"", () => {
    expect(toOpenAIMessages([{ role: "user" }])).toEqual([{ role: "user", content: "" }]);
  });
});

describe("toChatCompletionBody", () => {
  it("builds the chat completion body with the resolved model, tools and format, and nothing of sampling", () => {
    const tools = [{ type: "function" as const, function: { name: "f", parameters: { type: "object" } } }];
    expect(toChatCompletionBody({ model: "m:latest", messages: [{ role: "user", content: "hi" }], tools, format: "json", options: { temperature: 1 } }, "m")).toEqual({
      model: "m", messages: [{ role: "user", content: "hi" }], tools, response_format: { type: "json_object" },
    });
  });

  it("leaves out an empty tools list", () => {
    expect(toChatCompletionBody({ model: "m", messages: [], tools: [] }, "m")).toEqual({ model: "m", messages: [] });
  });
});

describe("generateAsChatBody", () => {
  it("makes the system and the prompt a system and a user turn", () => {
    expect(generateAsChatBody({ model: "m", prompt: "Why?", system: "Be brief." }, "m")).toEqual({
      model: "m", messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "Why?" }],
    });
  });
});

describe("wantsOllamaStream", () => {
  it("streams unless stream is false, as Ollama does", () => {
    expect(wantsOllamaStream({})).toBe(true);
    expect(wantsOllamaStream({ stream: null })).toBe(true);
    expect(wantsOllamaStream({ stream: true })).toBe(true);
    expect(wantsOllamaStream({ stream: false })).toBe(false);
  });
});

describe("tool_choice (Shimmy's extension)", () => {
  it("is passed on with tools, and dropped without them", () => {
    const tools = [{ type: "function" as const, function: { name: "f" } }];
    expect(toChatCompletionBody({ model: "m", messages: [], tools, tool_choice: "required" }, "m")).toMatchObject({ tool_choice: "required" });
    expect(toChatCompletionBody({ model: "m", messages: [], tool_choice: "required" }, "m")).not.toHaveProperty("tool_choice");
  });
});
