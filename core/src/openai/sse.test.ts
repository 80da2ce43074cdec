import { describe, expect, it } from "vitest";
import { ShimmyError } from "../errors.js";
import { SSE_DONE, sseData, sseError } from "../http/sse.js";
import { createChatStream, createCompletionStream } from "./sse.js";

const meta = { id: "chatcmpl-abc", created: 1_700_000_000, model: "stories" };
const result = { promptTokens: 10, completionTokens: 3 };

/** The JSON of one `data: {json}\n\n` event, after checking its framing exactly. */
function payload(event: string): Record<string, unknown> {
  expect(event).toMatch(/^data: \{.*\}\n\n$/s);
  expect(event.indexOf("\n")).toBe(event.length - 2);
  return JSON.parse(event.slice("data: ".length, -2)) as Record<string, unknown>;
}

/** Every event of a whole chat stream, as a route would write it. */
function chatEvents(includeUsage: boolean): string[] {
  const sse = createChatStream({ ...meta, includeUsage });
  return [sse.start(), sse.text("Once"), sse.text(" upon"), sse.finish("stop"), sse.usage(result), SSE_DONE].filter(
    (e) => e !== "",
  );
}

describe("sseData and SSE_DONE", () => {
  it("frames an object as exactly one data line and a blank line", () => {
    expect(sseData({ a: 1, b: "x\ny" })).toBe('data: {"a":1,"b":"x\\ny"}\n\n');
  });

  it("ends a stream with data: [DONE]", () => {
    expect(SSE_DONE).toBe("data: [DONE]\n\n");
  });
});

describe("createChatStream", () => {
  it("opens with the assistant role and empty content", () => {
    expect(payload(createChatStream({ ...meta, includeUsage: false }).start())).toStrictEqual({
      id: "chatcmpl-abc",
      object: "chat.completion.chunk",
      created: 1_700_000_000,
      model: "stories",
      choices: [{ index: 0, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null }],
    });
  });

  it("sends text as content deltas", () => {
    const chunk = payload(createChatStream({ ...meta, includeUsage: false }).text("Once"));
    expect(chunk.choices).toStrictEqual([{ index: 0, delta: { content: "Once" }, logprobs: null, finish_reason: null }]);
  });

  it("sends nothing for empty text", () => {
    expect(createChatStream({ ...meta, includeUsage: false }).text("")).toBe("");
  });

  it("finishes with an empty delta and the finish reason", () => {
    const chunk = payload(createChatStream({ ...meta, includeUsage: false }).finish("length"));
    expect(chunk.choices).toStrictEqual([{ index: 0, delta: {}, logprobs: null, finish_reason: "length" }]);
  });

  it("without include_usage, sends no usage field and no usage chunk", () => {
    const events = chatEvents(false);
    expect(events).toHaveLength(5);
    for (const event of events.slice(0, -1)) expect("usage" in payload(event)).toBe(false);
    expect(events.at(-1)).toBe("data: [DONE]\n\n");
  });

  it("with include_usage, sends usage: null on every chunk, then a usage chunk with empty choices, then [DONE]", () => {
    const events = chatEvents(true);
    expect(events).toHaveLength(6);
    const chunks = events.slice(0, -1).map(payload);
    for (const chunk of chunks.slice(0, -1)) expect(chunk.usage).toBeNull();
    expect(chunks.at(-1)).toStrictEqual({
      id: "chatcmpl-abc",
      object: "chat.completion.chunk",
      created: 1_700_000_000,
      model: "stories",
      choices: [],
      usage: { prompt_tokens: 10, completion_tokens: 3, total_tokens: 13 },
    });
    expect(events.at(-1)).toBe(SSE_DONE);
  });

  it("keeps one id, created and model over the whole stream", () => {
    const chunks = chatEvents(true).slice(0, -1).map(payload);
    expect(new Set(chunks.map((c) => `${String(c.id)} ${String(c.created)} ${String(c.model)}`)).size).toBe(1);
  });

  it("carries system_fingerprint only when given", () => {
    const sse = createChatStream({ ...meta, includeUsage: true, systemFingerprint: "fp_1" });
    expect(payload(sse.start()).system_fingerprint).toBe("fp_1");
    expect(payload(sse.usage(result)).system_fingerprint).toBe("fp_1");
    expect("system_fingerprint" in payload(createChatStream({ ...meta, includeUsage: false }).start())).toBe(false);
  });
});

describe("tool_trace chunks", () => {
  it("are chat chunks with empty choices and the entries, usage: null with include_usage; none on text completions", () => {
    const entries = [{ type: "round", round: 1 }];
    expect(payload(createChatStream({ ...meta, includeUsage: true }).trace(entries))).toStrictEqual({
      id: "chatcmpl-abc",
      object: "chat.completion.chunk",
      created: 1_700_000_000,
      model: "stories",
      choices: [],
      tool_trace: entries,
      usage: null,
    });
    expect("usage" in payload(createChatStream({ ...meta, includeUsage: false }).trace(entries))).toBe(false);
    expect(createCompletionStream({ ...meta, includeUsage: false }).trace(entries)).toBe("");
  });
});

describe("createCompletionStream", () => {
  const textMeta = { ...meta, id: "cmpl-abc" };

  it("has no opening event", () => {
    expect(createCompletionStream({ ...textMeta, includeUsage: true }).start()).toBe("");
  });

  it("sends text_completion chunks with text, then an empty one with the finish reason", () => {
    const sse = createCompletionStream({ ...textMeta, includeUsage: false });
    expect(payload(sse.text("Once"))).toStrictEqual({
      id: "cmpl-abc",
      object: "text_completion",
      created: 1_700_000_000,
      model: "stories",
      choices: [{ text: "Once", index: 0, logprobs: null, finish_reason: null }],
    });
    expect(payload(sse.finish("stop")).choices).toStrictEqual([{ text: "", index: 0, logprobs: null, finish_reason: "stop" }]);
    expect(sse.usage(result)).toBe("");
    expect(sse.text("")).toBe("");
  });

  it("with include_usage, sends usage: null on chunks and ends with a usage chunk with empty choices", () => {
    const sse = createCompletionStream({ ...textMeta, includeUsage: true });
    expect(payload(sse.text("a")).usage).toBeNull();
    expect(payload(sse.finish("length")).usage).toBeNull();
    expect(payload(sse.usage(result))).toStrictEqual({
      id: "cmpl-abc",
      object: "text_completion",
      created: 1_700_000_000,
      model: "stories",
      choices: [],
      usage: { prompt_tokens: 10, completion_tokens: 3, total_tokens: 13 },
    });
  });
});

describe("sseError", () => {
  it("reports a ShimmyError as a data chunk in OpenAI's error shape", () => {
    const event = sseError(new ShimmyError("context_length_exceeded", "too long", { param: "messages" }));
    expect(payload(event)).toStrictEqual({
      error: { message: "too long", type: "invalid_request_error", param: "messages", code: "context_length_exceeded" },
    });
  });

  it("hides the message of an unexpected error", () => {
    const chunk = payload(sseError(new Error("secret path /home/x")));
    expect(JSON.stringify(chunk)).not.toContain("secret");
    expect(chunk.error).toMatchObject({ type: "server_error", code: "internal_error", param: null });
  });
});
