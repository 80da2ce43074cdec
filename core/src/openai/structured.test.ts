import { describe, expect, it } from "vitest";
import type { GenerationResult } from "../engine/types.js";
import { ShimmyError } from "../errors.js";
import { parseStructured } from "./structured.js";
import type { ChatCompletionRequest } from "./types.js";

const base: ChatCompletionRequest = { model: "m", messages: [{ role: "user", content: "x" }] };
const tool = (name: string, parameters?: object) => ({ type: "function", function: { name, ...(parameters ? { parameters } : {}) } });
const CITY = { type: "object", properties: { city: { type: "string", enum: ["Oslo"] } }, required: ["city"], additionalProperties: false };

function paramOf(fn: () => unknown): string | null {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ShimmyError);
    return (err as ShimmyError).param;
  }
  throw new Error("expected a ShimmyError");
}

const result = (over: Partial<GenerationResult>): GenerationResult => ({ text: "", finishReason: "stop", promptTokens: 1, completionTokens: 1, ...over });

describe("parseStructured", () => {
  it("converts tools and tool_choice for the engine", () => {
    const parsed = parseStructured({ ...base, tools: [tool("weather", CITY), tool("noargs")], tool_choice: { type: "function", function: { name: "weather" } }, parallel_tool_calls: false });
    expect(parsed.tools?.map((t) => t.name)).toEqual(["weather", "noargs"]);
    expect(parsed.toolChoice).toEqual({ mode: "named", name: "weather" });
    expect(parsed.parallelToolCalls).toBe(false);
    expect(parsed.tools?.[1]?.parameters).toMatchObject({ type: "object" });
  });

  it("reads LangChain's tool_choice any as required", () => {
    expect(parseStructured({ ...base, tools: [tool("f")], tool_choice: "any" }).toolChoice).toEqual({ mode: "required" });
  });

  it("names the param of every shape error", () => {
    expect(paramOf(() => parseStructured({ ...base, tools: [{ type: "function", function: {} }] }))).toBe("tools.0.function.name");
    expect(paramOf(() => parseStructured({ ...base, tools: [{ type: "retrieval", function: { name: "f" } }] }))).toBe("tools.0.type");
    expect(paramOf(() => parseStructured({ ...base, tools: [tool("f")], tool_choice: "sometimes" }))).toBe("tool_choice");
    expect(paramOf(() => parseStructured({ ...base, response_format: { type: "xml" } }))).toBe("response_format.type");
    expect(paramOf(() => parseStructured({ ...base, response_format: { type: "json_schema" } }))).toBe("response_format.json_schema");
    expect(paramOf(() => parseStructured({ ...base, parallel_tool_calls: "yes" }))).toBe("parallel_tool_calls");
  });

  it("refuses response_format beside tools the model may call freely", () => {
    expect(paramOf(() => parseStructured({ ...base, tools: [tool("f")], response_format: { type: "json_object" } }))).toBe("response_format");
    expect(parseStructured({ ...base, tools: [tool("f")], tool_choice: "none", response_format: { type: "json_object" } }).responseFormat).toEqual({ type: "json_schema", schema: { type: "object", additionalProperties: true } });
  });

  it("passes the tool schema's strict flag on to the keyword policy", () => {
    const strict = { ...base, tools: [{ type: "function", function: { name: "f", strict: true, parameters: { type: "object", properties: { n: { type: "integer", minimum: 1 } } } } }] };
    expect(paramOf(() => parseStructured(strict))).toBe("tools.0.function.parameters.properties.n.minimum");
  });
});

describe("checkResult", () => {
  it("accepts tool calls whose arguments match and refuses ones that do not", () => {
    const { checkResult } = parseStructured({ ...base, tools: [tool("weather", CITY)], tool_choice: "required" });
    expect(() => checkResult(result({ finishReason: "tool_calls", toolCalls: [{ id: "c", name: "weather", arguments: '{"city":"Oslo"}' }] }))).not.toThrow();
    expect(() => checkResult(result({ finishReason: "tool_calls", toolCalls: [{ id: "c", name: "weather", arguments: '{"city":"Rome"}' }] }))).toThrow(
      expect.objectContaining({ code: "output_invalid" }),
    );
    expect(() => checkResult(result({ finishReason: "tool_calls", toolCalls: [{ id: "c", name: "other", arguments: "{}" }] }))).toThrow(/not one of the tools/);
    // Cut off by max_tokens: returned as far as it got, as OpenAI answers (200, finish_reason "length").
    expect(() => checkResult(result({ finishReason: "length", toolCalls: [{ id: "c", name: "weather", arguments: '{"ci' }] }))).not.toThrow();
  });

  it("checks json_object and json_schema answers, and passes a cut-off one on as it is", () => {
    const object = parseStructured({ ...base, response_format: { type: "json_object" } });
    expect(() => object.checkResult(result({ text: '{"a":1}' }))).not.toThrow();
    expect(() => object.checkResult(result({ text: "[1]" }))).toThrow(expect.objectContaining({ code: "output_invalid" }));
    expect(() => object.checkResult(result({ text: '{"a":', finishReason: "length" }))).not.toThrow();
    const schema = parseStructured({ ...base, response_format: { type: "json_schema", json_schema: { name: "n", schema: { type: "object", properties: { age: { type: "integer", minimum: 0 } }, required: ["age"] } } } });
    expect(() => schema.checkResult(result({ text: '{"age": 3}' }))).not.toThrow();
    expect(() => schema.checkResult(result({ text: '{"age": -3}' }))).toThrow(expect.objectContaining({ code: "output_invalid" }));
  });

  it("leaves plain text answers alone", () => {
    expect(() => parseStructured(base).checkResult(result({ text: "not json", finishReason: "length" }))).not.toThrow();
  });
});
