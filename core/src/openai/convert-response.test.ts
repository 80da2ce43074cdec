import { describe, expect, it } from "vitest";
import type { GenerationResult } from "../engine/types.js";
import { chatCompletionResponse, completionResponse, newCompletionId, toUsage, unixSeconds } from "./convert-response.js";

const result: GenerationResult = { text: "Hello there", finishReason: "length", promptTokens: 12, completionTokens: 5 };
const meta = { id: "chatcmpl-abc", created: 1_700_000_000, model: "stories" };

describe("newCompletionId", () => {
  it("is the prefix, a dash and 24 alphanumerics", () => {
    expect(newCompletionId("chatcmpl")).toMatch(/^chatcmpl-[A-Za-z0-9]{24}$/);
    expect(newCompletionId("cmpl")).toMatch(/^cmpl-[A-Za-z0-9]{24}$/);
  });

  it("never repeats", () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newCompletionId("cmpl")));
    expect(ids.size).toBe(1000);
  });
});

describe("unixSeconds", () => {
  it("floors milliseconds to seconds", () => {
    expect(unixSeconds(1_700_000_000_999)).toBe(1_700_000_000);
  });
});

describe("toUsage", () => {
  it("adds prompt and completion tokens into the total", () => {
    expect(toUsage(result)).toEqual({ prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 });
  });
});

describe("chatCompletionResponse", () => {
  it("has OpenAI's chat.completion shape", () => {
    expect(chatCompletionResponse({ ...meta, result })).toStrictEqual({
      id: "chatcmpl-abc",
      object: "chat.completion",
      created: 1_700_000_000,
      model: "stories",
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: "Hello there", refusal: null },
          logprobs: null,
          finish_reason: "length",
        },
      ],
      usage: { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 },
    });
  });

  it("includes system_fingerprint only when given", () => {
    expect(chatCompletionResponse({ ...meta, result, systemFingerprint: "fp_1" }).system_fingerprint).toBe("fp_1");
    expect("system_fingerprint" in chatCompletionResponse({ ...meta, result })).toBe(false);
  });

  it("passes the finish reason through", () => {
    const stop = chatCompletionResponse({ ...meta, result: { ...result, finishReason: "stop" } });
    expect(stop.choices[0].finish_reason).toBe("stop");
  });
});

describe("completionResponse", () => {
  it("has OpenAI's text_completion shape", () => {
    expect(completionResponse({ ...meta, id: "cmpl-abc", result })).toStrictEqual({
      id: "cmpl-abc",
      object: "text_completion",
      created: 1_700_000_000,
      model: "stories",
      choices: [{ text: "Hello there", index: 0, logprobs: null, finish_reason: "length" }],
      usage: { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 },
    });
  });
});
