/**
 * What Anthropic's Messages API costs over the same generation through `/v1/chat/completions`
 * (targets: < 0.5 ms per request, < 20 µs per streamed token), two ways, printed side by side:
 * - the translation alone, in process: per request, validating, converting and rendering a
 *   Messages body against a chat completions body (the same conversation, one tool); per token,
 *   one `text_delta` event against one chat chunk;
 * - end to end on the real server (`core/dist`) with the demo model: the same request through both
 *   routes, interleaved so drift hits both alike, p50 latency of a one-token answer (per request)
 *   and of a streamed answer whose tokens, at temperature 0, are the same on both (per token: the
 *   streamed difference less the per-request one, over the tokens).
 *   npx tsx bench/protocol-anthropic.ts [--requests 200] [--streams 30] [--tokens 200] [--model models/stories260K.gguf]
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { messageResponse } from "../core/src/anthropic/convert-response.js";
import { toChatFields, toChatTurns as anthropicTurns, toSampling } from "../core/src/anthropic/convert-request.js";
import { MessageEventStream } from "../core/src/anthropic/stream-events.js";
import { parseMessageRequest } from "../core/src/anthropic/validate.js";
import { chatCompletionResponse } from "../core/src/openai/convert-response.js";
import { toChatTurns, toSamplingParams } from "../core/src/openai/convert-request.js";
import { createChatStream } from "../core/src/openai/sse.js";
import { parseChatCompletionRequest } from "../core/src/openai/validate.js";
import type { GenerationResult } from "../core/src/engine/types.js";
import { startShimmyServer } from "./processes.js";
import { percentile } from "./stats.js";

const ROOT = path.resolve(import.meta.dirname, "..");
const { values } = parseArgs({
  options: {
    requests: { type: "string", default: "200" },
    streams: { type: "string", default: "30" },
    tokens: { type: "string", default: "200" },
    model: { type: "string", default: path.join(ROOT, "models/stories260K.gguf") },
  },
});
const requests = Number(values.requests);
const streams = Number(values.streams);
const streamTokens = Number(values.tokens);
const MODEL = path.basename(values.model!, ".gguf");

// 1. The translation alone, in process.
const schema = { type: "object", properties: { city: { type: "string" } }, required: ["city"] };
const anthropicBody = {
  model: MODEL, max_tokens: 64, system: "You are terse.", tools: [{ name: "get_weather", description: "Weather", input_schema: schema }],
  messages: [{ role: "user", content: "What is the weather in Oslo?" }, { role: "assistant", content: [{ type: "tool_use", id: "call_1", name: "get_weather", input: { city: "Oslo" } }] }, { role: "user", content: [{ type: "tool_result", tool_use_id: "call_1", content: "sunny" }] }],
};
const chatBody = {
  model: MODEL, max_tokens: 64, tools: [{ type: "function", function: { name: "get_weather", description: "Weather", parameters: schema } }],
  messages: [
    { role: "system", content: "You are terse." }, { role: "user", content: "What is the weather in Oslo?" },
    { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Oslo"}' } }] },
    { role: "tool", tool_call_id: "call_1", content: "sunny" },
  ],
};
const result: GenerationResult = { text: "It is sunny in Oslo today.", finishReason: "stop", promptTokens: 40, completionTokens: 8 };

/** Mean µs per call of `fn` over `iterations`, after a warm-up. */
function micros(iterations: number, fn: () => unknown): number {
  for (let i = 0; i < iterations / 10; i++) fn();
  const started = performance.now();
  for (let i = 0; i < iterations; i++) fn();
  return ((performance.now() - started) * 1000) / iterations;
}
// Bodies are parsed fresh each time, as a request's are.
const anthropicText = JSON.stringify(anthropicBody);
const chatText = JSON.stringify(chatBody);
const translateAnthropic = micros(20_000, () => {
  const request = parseMessageRequest(JSON.parse(anthropicText));
  toChatFields(request);
  anthropicTurns(request);
  toSampling(request);
  return JSON.stringify(messageResponse({ id: "msg_x", model: MODEL }, result));
});
const translateChat = micros(20_000, () => {
  const request = parseChatCompletionRequest(JSON.parse(chatText));
  toChatTurns(request.messages);
  toSamplingParams(request);
  return JSON.stringify(chatCompletionResponse({ id: "chatcmpl-x", created: 0, model: MODEL, result }));
});
const anthropicEvents = new MessageEventStream({ id: "msg_x", model: MODEL });
anthropicEvents.start();
const chatEvents = createChatStream({ id: "chatcmpl-x", created: 0, model: MODEL, includeUsage: false });
const tokenAnthropic = micros(200_000, () => anthropicEvents.text(" word"));
const tokenChat = micros(200_000, () => chatEvents.text(" word"));

// 2. End to end on the real server.
interface Timed {
  ms: number;
  tokens: number;
}
async function timed(url: string, route: "messages" | "chat", maxTokens: number, stream: boolean): Promise<Timed> {
  const messages = [{ role: "user", content: "Once upon a time there was a little dog named Spot." }];
  const body = { model: MODEL, messages, max_tokens: maxTokens, temperature: 0, stream, ...(route === "chat" && stream ? { stream_options: { include_usage: true } } : {}) };
  const started = performance.now();
  const answer = await fetch(`${url}/v1/${route === "messages" ? "messages" : "chat/completions"}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const text = await answer.text();
  const ms = performance.now() - started;
  if (!answer.ok) throw new Error(`${route}: ${answer.status} ${text}`);
  if (!stream) {
    const json = JSON.parse(text) as { usage: { completion_tokens?: number; output_tokens?: number } };
    return { ms, tokens: json.usage.completion_tokens ?? json.usage.output_tokens ?? 0 };
  }
  const usage = [...text.matchAll(/"(?:completion_tokens|output_tokens)":(\d+)/g)].at(-1);
  return { ms, tokens: Number(usage?.[1] ?? 0) };
}

const home = fs.mkdtempSync(path.join(os.tmpdir(), "shimmy-bench-anthropic-"));
process.env.SHIMMY_HOME = home;
const server = await startShimmyServer(path.join(ROOT, "core/bin/shimmy.cjs"), ["--model", values.model!, "--parallel", "1", "--threads", "1"], home);
try {
  /** `count` rounds of both routes, alternating which goes first. */
  async function interleaved(count: number, maxTokens: number, stream: boolean) {
    const out = { messages: [] as Timed[], chat: [] as Timed[] };
    for (let i = 0; i < count; i++) {
      for (const route of i % 2 === 0 ? (["messages", "chat"] as const) : (["chat", "messages"] as const)) out[route].push(await timed(server.url, route, maxTokens, stream));
    }
    return out;
  }
  await interleaved(10, 8, true);
  const single = await interleaved(requests, 1, false);
  const streamed = await interleaved(streams, streamTokens, true);
  const p50 = (samples: Timed[]) => percentile(samples.map((s) => s.ms), 50);
  const perRequest = { messages: p50(single.messages), chat: p50(single.chat) };
  const perStream = { messages: p50(streamed.messages), chat: p50(streamed.chat) };
  const tokens = streamed.messages[0]!.tokens;
  if (streamed.chat[0]!.tokens !== tokens) console.warn(`note: the routes streamed ${tokens} and ${streamed.chat[0]!.tokens} tokens`);
  const requestDiff = perRequest.messages - perRequest.chat;
  const perToken = (ms: number) => (ms * 1000) / tokens;

  const f = (x: number, digits = 3) => x.toFixed(digits);
  const rows = [
    ["figure", "/v1/messages", "/v1/chat/completions", "overhead", "target"],
    ["in process: translation per request, µs", f(translateAnthropic, 1), f(translateChat, 1), f(translateAnthropic - translateChat, 1), "< 500"],
    ["in process: one streamed text event, µs", f(tokenAnthropic, 2), f(tokenChat, 2), f(tokenAnthropic - tokenChat, 2), "< 20"],
    [`server: one-token answer p50, ms (${requests} each)`, f(perRequest.messages), f(perRequest.chat), f(requestDiff), "< 0.5"],
    [`server: ${tokens}-token stream p50, ms (${streams} each)`, f(perStream.messages), f(perStream.chat), f(perStream.messages - perStream.chat), ""],
    ["server: per streamed token, µs", f(perToken(perStream.messages), 1), f(perToken(perStream.chat), 1), f(perToken(perStream.messages - perStream.chat - requestDiff), 1), "< 20"],
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  for (const row of rows) console.log(row.map((cell, c) => cell.padEnd(widths[c]!)).join("  ").trimEnd());
} finally {
  await server.stop();
  fs.rmSync(home, { recursive: true, force: true });
}
