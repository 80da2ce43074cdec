import { describe, expect, it } from "vitest";
import { toAnthropicParam, toChatFields, toChatTurns, toSampling } from "./convert-request.js";
import type { MessageCreateRequest } from "./types.js";

const base: MessageCreateRequest = { model: "m", max_tokens: 64, messages: [{ role: "user", content: "hi" }] };

describe("toChatTurns", () => {
  it("puts system (a string or joined text blocks) first and keeps string messages as turns", () => {
    expect(toChatTurns({ ...base, system: [{ type: "text", text: "Be " }, { type: "text", text: "brief" }] })).toEqual([
      { role: "system", text: "Be brief" },
      { role: "user", text: "hi" },
    ]);
    expect(toChatTurns({ ...base, system: "" })).toEqual([{ role: "user", text: "hi" }]);
  });

  it("turns tool_use blocks into the assistant turn's calls and tool_result blocks into tool turns, in block order", () => {
    const turns = toChatTurns({
      messages: [
        { role: "user", content: [{ type: "text", text: "weather " }, { type: "text", text: "in Oslo?" }] },
        {
          role: "assistant",
          content: [
            { type: "text", text: "Checking." },
            { type: "tool_use", id: "toolu_1", name: "get_weather", input: { city: "Oslo" } },
            { type: "tool_use", id: "toolu_2", name: "get_time", input: {} },
          ],
        },
        {
          role: "user",
          content: [
            { type: "tool_result", tool_use_id: "toolu_1", content: [{ type: "text", text: "sunny" }] },
            { type: "tool_result", tool_use_id: "toolu_2", content: "no clock", is_error: true },
            { type: "text", text: "Thanks" },
          ],
        },
      ],
    });
    expect(turns).toEqual([
      { role: "user", text: "weather in Oslo?" },
      {
        role: "assistant",
        text: "Checking.",
        toolCalls: [
          { id: "toolu_1", name: "get_weather", arguments: '{"city":"Oslo"}' },
          { id: "toolu_2", name: "get_time", arguments: "{}" },
        ],
      },
      { role: "tool", toolCallId: "toolu_1", text: "sunny" },
      { role: "tool", toolCallId: "toolu_2", text: "Error: no clock" },
      { role: "user", text: "Thanks" },
    ]);
  });

  it("reads a tool_result without content as empty text", () => {
    expect(toChatTurns({ messages: [{ role: "user", content: [{ type: "tool_result", tool_use_id: "t" }] }] })).toEqual([{ role: "tool", toolCallId: "t", text: "" }]);
  });
});

describe("toChatFields", () => {
  const tool = { name: "get_weather", description: "Weather", input_schema: { type: "object", properties: { city: { type: "string" } } } };

  it("declares tools as function tools with input_schema as parameters, and passes Shimmy's plugin fields", () => {
    expect(toChatFields({ ...base, tools: [tool], plugins: ["calculator"], max_tool_rounds: 2 })).toEqual({
      model: "m",
      messages: [],
      plugins: ["calculator"],
      max_tool_rounds: 2,
      plugin_tool_choice: null,
      tools: [{ type: "function", function: { name: "get_weather", description: "Weather", parameters: tool.input_schema } }],
    });
  });

  it("maps tool_choice auto, any, tool and none, and disable_parallel_tool_use", () => {
    expect(toChatFields({ ...base, tool_choice: { type: "auto" } }).tool_choice).toBe("auto");
    expect(toChatFields({ ...base, tool_choice: { type: "any", disable_parallel_tool_use: true } })).toMatchObject({ tool_choice: "required", parallel_tool_calls: false });
    expect(toChatFields({ ...base, tool_choice: { type: "tool", name: "get_weather" } }).tool_choice).toEqual({ type: "function", function: { name: "get_weather" } });
    expect(toChatFields({ ...base, tool_choice: { type: "none" } }).tool_choice).toBe("none");
    expect(toChatFields(base)).not.toHaveProperty("tool_choice");
    expect(toChatFields(base)).not.toHaveProperty("parallel_tool_calls");
  });
});

describe("toSampling", () => {
  it("takes max_tokens, stop_sequences, temperature, top_p and top_k", () => {
    expect(toSampling({ ...base, stop_sequences: ["END"], temperature: 0.2, top_p: 0.9, top_k: 5 })).toEqual({ stop: ["END"], maxTokens: 64, temperature: 0.2, topP: 0.9, topK: 5 });
    expect(toSampling(base)).toEqual({ stop: [], maxTokens: 64 });
  });
});

describe("toAnthropicParam", () => {
  it("names the chat core's fields as the Messages API does", () => {
    expect(toAnthropicParam("tools.1.function.parameters.properties")).toBe("tools.1.input_schema.properties");
    expect(toAnthropicParam("tools.0.function.name")).toBe("tools.0.name");
    expect(toAnthropicParam("tool_choice.function.name names no tool")).toBe("tool_choice.name names no tool");
  });
});
