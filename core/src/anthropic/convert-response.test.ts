import { describe, expect, it } from "vitest";
import type { GenerationResult } from "../engine/types.js";
import { messageResponse, newMessageId, toContentBlocks, toStopReason, toToolInput } from "./convert-response.js";
import { anthropicErrorType, isAnthropicPath, sseErrorEvent } from "./errors.js";
import { ShimmyError, retryLater } from "../errors.js";

const result = (extra: Partial<GenerationResult> = {}): GenerationResult => ({ text: "Hello", finishReason: "stop", promptTokens: 7, completionTokens: 2, ...extra });

describe("messageResponse", () => {
  it("answers text in Anthropic's message shape", () => {
    expect(messageResponse({ id: "msg_1", model: "m" }, result())).toEqual({
      id: "msg_1", type: "message", role: "assistant", model: "m", content: [{ type: "text", text: "Hello" }],
      stop_reason: "end_turn", stop_sequence: null, usage: { input_tokens: 7, output_tokens: 2 },
    });
  });

  it("answers tool calls as tool_use blocks with their input parsed, after any text", () => {
    const answer = messageResponse(
      { id: "msg_1", model: "m" },
      result({ text: "", finishReason: "tool_calls", toolCalls: [{ id: "call_1", name: "get_weather", arguments: '{"city":"Oslo"}' }] }),
    );
    expect(answer.content).toEqual([{ type: "tool_use", id: "call_1", name: "get_weather", input: { city: "Oslo" } }]);
    expect(answer.stop_reason).toBe("tool_use");
    expect(toContentBlocks({ text: "Sure.", toolCalls: [{ id: "c", name: "t", arguments: "{}" }] }).map((b) => b.type)).toEqual(["text", "tool_use"]);
  });

  it("names the stop sequence that ended the answer", () => {
    expect(messageResponse({ id: "msg_1", model: "m" }, result({ stopSequence: "END" }))).toMatchObject({ stop_reason: "stop_sequence", stop_sequence: "END" });
  });

  it("keeps an empty answer as one empty text block", () => {
    expect(toContentBlocks({ text: "" })).toEqual([{ type: "text", text: "" }]);
  });
});

describe("toStopReason", () => {
  it("maps finish reasons to Anthropic's stop reasons", () => {
    expect(toStopReason({ finishReason: "stop" })).toBe("end_turn");
    expect(toStopReason({ finishReason: "length" })).toBe("max_tokens");
    expect(toStopReason({ finishReason: "tool_calls" })).toBe("tool_use");
    expect(toStopReason({ finishReason: "stop", stopSequence: "###" })).toBe("stop_sequence");
  });
});

describe("toToolInput", () => {
  it("parses an object and gives {} for a call cut off mid-JSON or a non-object", () => {
    expect(toToolInput('{"a":[1]}')).toEqual({ a: [1] });
    expect(toToolInput('{"a":')).toEqual({});
    expect(toToolInput("[1]")).toEqual({});
  });
});

describe("newMessageId", () => {
  it("looks like Anthropic's", () => {
    expect(newMessageId()).toMatch(/^msg_[A-Za-z0-9]{24}$/);
  });
});

describe("errors in Anthropic's shape", () => {
  it("pairs statuses with Anthropic's error types", () => {
    expect([400, 401, 403, 404, 409, 413, 415, 429, 500, 502, 503, 504].map(anthropicErrorType)).toEqual([
      "invalid_request_error", "authentication_error", "permission_error", "not_found_error", "invalid_request_error", "request_too_large",
      "invalid_request_error", "rate_limit_error", "api_error", "api_error", "overloaded_error", "api_error",
    ]);
  });

  it("covers /v1/messages and below only", () => {
    expect(["/v1/messages", "/v1/messages/count_tokens", "/v1/messages/x"].every(isAnthropicPath)).toBe(true);
    expect(["/v1/messagesx", "/v1/chat/completions", "/api/messages"].some(isAnthropicPath)).toBe(false);
  });

  it("ends a failed stream with an error event, hiding 5xx details", () => {
    expect(sseErrorEvent(retryLater("busy"))).toMatch(/^event: error\ndata: \{"type":"error","error":\{"type":"overloaded_error","message":"[^"]+"\}\}\n\n$/);
    expect(sseErrorEvent(new Error("secret path"))).not.toContain("secret");
    expect(sseErrorEvent(new ShimmyError("context_length_exceeded", "too long"))).toContain('"invalid_request_error"');
  });
});
