import { describe, expect, it } from "vitest";
import { sseEvents } from "./sse-events.js";
import { StreamAssembler } from "./stream-assembler.js";
import { toUpstreamChatBody, toUpstreamCompletionBody, toUpstreamEmbeddingBody } from "./translate-request.js";
import { fromUpstreamStatus } from "./upstream-errors.js";
import type { ToolCallDelta } from "../../engine/types.js";

describe("toUpstreamChatBody", () => {
  it("writes turns, sampling, tools, tool choice and the JSON schema back in OpenAI's shape, always streamed with usage", () => {
    const body = toUpstreamChatBody(
      {
        turns: [
          { role: "system", text: "Be brief." },
          { role: "user", text: "Weather?" },
          { role: "assistant", text: "", toolCalls: [{ id: "call_1", name: "weather", arguments: '{"city":"Oslo"}' }] },
          { role: "tool", toolCallId: "call_1", text: "sunny" },
        ],
        sampling: { maxTokens: 20, temperature: 0.5, topK: 40, seed: 7, stop: ["\n\n"], logitBias: { 12: -100 } },
        tools: [{ name: "weather", description: "Weather now", parameters: { type: "object" } }],
        toolChoice: { mode: "named", name: "weather" },
        parallelToolCalls: false,
        responseFormat: { type: "json_schema", schema: { type: "object", properties: { a: { type: "string" } } } },
      },
      "qwen",
    );
    expect(body).toEqual({
      model: "qwen",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Weather?" },
        { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function", function: { name: "weather", arguments: '{"city":"Oslo"}' } }] },
        { role: "tool", tool_call_id: "call_1", content: "sunny" },
      ],
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 20,
      temperature: 0.5,
      top_k: 40,
      seed: 7,
      stop: ["\n\n"],
      logit_bias: { 12: -100 },
      tools: [{ type: "function", function: { name: "weather", description: "Weather now", parameters: { type: "object" } } }],
      tool_choice: { type: "function", function: { name: "weather" } },
      parallel_tool_calls: false,
      response_format: { type: "json_schema", json_schema: { name: "response", strict: true, schema: { type: "object", properties: { a: { type: "string" } } } } },
    });
  });

  it("sends no tool choice without tools, no stop when there is none, and text format as nothing", () => {
    const body = toUpstreamChatBody({ turns: [{ role: "user", text: "hi" }], sampling: { stop: [] }, toolChoice: { mode: "auto" }, responseFormat: { type: "text" } }, "m");
    expect(body).toEqual({ model: "m", messages: [{ role: "user", content: "hi" }], stream: true, stream_options: { include_usage: true } });
  });

  it("writes completions and embeddings bodies", () => {
    expect(toUpstreamCompletionBody({ prompt: "Once", sampling: { stop: [], maxTokens: 3 } }, "m")).toEqual({ model: "m", prompt: "Once", stream: true, stream_options: { include_usage: true }, max_tokens: 3 });
    expect(toUpstreamEmbeddingBody({ inputs: ["a", [1, 2]], dimensions: 3 }, "e")).toEqual({ model: "e", input: ["a", [1, 2]], encoding_format: "float", dimensions: 3 });
  });
});

describe("StreamAssembler", () => {
  it("passes text and tool-call pieces on as they come and assembles the answer with the upstream's usage", () => {
    const texts: string[] = [];
    const deltas: ToolCallDelta[] = [];
    const assembler = new StreamAssembler({ onText: (t) => texts.push(t), onToolCall: (d) => deltas.push(d) });
    assembler.accept({ choices: [{ delta: { content: "Let me " } }] });
    assembler.accept({ choices: [{ delta: { content: "check." } }] });
    assembler.accept({ choices: [{ delta: { tool_calls: [{ index: 0, id: "call_9", function: { name: "weather", arguments: '{"ci' } }] } }] });
    assembler.accept({ choices: [{ delta: { tool_calls: [{ index: 0, function: { arguments: 'ty":"Oslo"}' } }] } }] });
    assembler.accept({ choices: [{ delta: {}, finish_reason: "tool_calls" }] });
    assembler.accept({ choices: [], usage: { prompt_tokens: 30, completion_tokens: 12, prompt_tokens_details: { cached_tokens: 10 } } });
    expect(texts).toEqual(["Let me ", "check."]);
    expect(deltas).toEqual([{ index: 0, id: "call_9", name: "weather" }, { index: 0, arguments: '{"ci' }, { index: 0, arguments: 'ty":"Oslo"}' }]);
    expect(assembler.result()).toEqual({
      text: "Let me check.", toolCalls: [{ id: "call_9", name: "weather", arguments: '{"city":"Oslo"}' }], finishReason: "tool_calls", promptTokens: 30, completionTokens: 12, promptTokensReused: 10,
    });
  });

  it("counts content chunks as tokens when the upstream sends no usage, and reads completion chunks", () => {
    const assembler = new StreamAssembler();
    assembler.accept({ choices: [{ text: "a " }] });
    assembler.accept({ choices: [{ text: "b" }] });
    assembler.accept({ choices: [{ text: "", finish_reason: "length" }] });
    expect(assembler.result()).toEqual({ text: "a b", finishReason: "length", promptTokens: 0, completionTokens: 2 });
  });

  it("hands back the error of an error event", () => {
    expect(new StreamAssembler().accept({ error: { message: "boom" } })).toEqual({ message: "boom" });
  });
});

describe("sseEvents", () => {
  it("reads data fields across chunk boundaries and stops at [DONE]", async () => {
    const encoder = new TextEncoder();
    async function* body() {
      yield encoder.encode('data: {"a":1}\n\ndata: {"b"');
      yield encoder.encode(':2}\r\n\r\n: comment\n\ndata: [DONE]\n\ndata: {"late":true}\n\n');
    }
    const events = [];
    for await (const event of sseEvents(body())) events.push(event);
    expect(events).toEqual([{ a: 1 }, { b: 2 }]);
  });
});

describe("fromUpstreamStatus", () => {
  it("keeps a 4xx's message behind the upstream's name, with our code when it is ours", () => {
    const err = fromUpstreamStatus("gpu1", 400, JSON.stringify({ error: { message: "too long", code: "context_length_exceeded", param: "messages" } }), null);
    expect([err.status, err.code, err.message, err.param, err.retriable]).toEqual([400, "context_length_exceeded", 'upstream "gpu1": too long', "messages", false]);
    expect(fromUpstreamStatus("gpu1", 404, "{}", null).code).toBe("model_not_found");
    expect(fromUpstreamStatus("gpu1", 422, "not json at all", null).message).toBe('upstream "gpu1": not json at all');
  });

  it("makes a 5xx upstream_unavailable (retriable when 502/503/504), a refused key a 502 and a 429 ours to retry", () => {
    const down = fromUpstreamStatus("gpu1", 503, "{}", null);
    expect([down.status, down.code, down.retriable]).toEqual([502, "upstream_unavailable", true]);
    expect(fromUpstreamStatus("gpu1", 500, "{}", null).retriable).toBe(false);
    expect(fromUpstreamStatus("gpu1", 401, "{}", null).message).toContain("upstreams.gpu1.apiKey in secrets.json");
    const limited = fromUpstreamStatus("gpu1", 429, "{}", "3");
    expect([limited.status, limited.code, limited.headers["Retry-After"]]).toEqual([503, "server_overloaded", "3"]);
  });
});
