/**
 * What the Ollama translation layer costs against the same generation through `/v1/chat/completions`
 * (targets: under 0.5 ms per request, under 20 µs per streamed token):
 * - in-process HTTP, both apps over one fake engine (no llama.cpp, so the engine's time is ~0 and
 *   what remains is the server's): the same chat as `/api/chat` and as `/v1/chat/completions`,
 *   interleaved so drift hits both alike; one-token answers for the per-request figure, and answers
 *   of `--tokens` tokens streamed for the per-token figure (the difference over the token count);
 * - the converters alone, without HTTP: an Ollama body parsed, checked and turned into the chat core's
 *   request against an OpenAI body parsed alone, and one stream line built each way.
 *   npx tsx bench/protocol-ollama.ts [--requests 400] [--tokens 200]
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import { createApp } from "../core/src/app.js";
import { FakeEngine } from "../core/src/engine/fake-engine.js";
import { NO_PLUGINS } from "../core/src/http/test-app.fixture.js";
import { createLogger } from "../core/src/logger.js";
import { createChatStream } from "../core/src/openai/sse.js";
import { parseChatCompletionRequest } from "../core/src/openai/validate.js";
import { toChatCompletionBody, toSampling } from "../core/src/ollama/convert-request.js";
import { chatDelta } from "../core/src/ollama/convert-response.js";
import { createOllamaApp } from "../core/src/ollama/ollama-app.js";
import { refuseUnsupportedChat } from "../core/src/ollama/refusals.js";
import { parseOllamaChat } from "../core/src/ollama/schemas.js";
import { percentile } from "./stats.js";

const { values } = parseArgs({ options: { requests: { type: "string", default: "400" }, tokens: { type: "string", default: "200" } } });
const requests = Number(values.requests);
const tokens = Number(values.tokens);

const logger = createLogger("silent");
const engine = new FakeEngine({
  // The fake answers each word as a token: "w " times the asked count (`num_predict`/`max_tokens` cut it).
  answer: () => ({ text: "w ".repeat(tokens) }),
});
const main = createApp({ engine, rediscover: async () => undefined, logger, maxBodyBytes: 1 << 20, listenHost: "127.0.0.1", plugins: NO_PLUGINS });
const ollama = createOllamaApp({ engine, logger, maxBodyBytes: 1 << 20, listenHost: "127.0.0.1" });

async function listen(app: { listen(port: number, host: string): Server }): Promise<{ url: string; server: Server }> {
  const server = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}
const [mainServer, ollamaServer] = await Promise.all([listen(main), listen(ollama)]);

const messages = [{ role: "system", content: "You are brief." }, { role: "user", content: "Tell me about the sea in a few words." }];
const bodies = {
  ollama: (count: number, stream: boolean) => ({ model: "fake-chat:latest", messages, stream, options: { num_predict: count, temperature: 0.7, top_p: 0.9 }, keep_alive: "5m" }),
  openai: (count: number, stream: boolean) => ({ model: "fake-chat", messages, stream, max_tokens: count, temperature: 0.7, top_p: 0.9 }),
};
const urls = { ollama: `${ollamaServer.url}/api/chat`, openai: `${mainServer.url}/v1/chat/completions` };

/** One request's wall time, its whole body read. */
async function timed(kind: "ollama" | "openai", count: number, stream: boolean): Promise<number> {
  const started = performance.now();
  const response = await fetch(urls[kind], { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(bodies[kind](count, stream)) });
  await response.text();
  if (!response.ok) throw new Error(`${kind}: ${response.status}`);
  return performance.now() - started;
}

/** p50 of each kind, interleaved, after a warm-up. */
async function compare(count: number, stream: boolean): Promise<{ ollama: number; openai: number }> {
  for (let i = 0; i < 50; i++) {
    await timed("ollama", count, stream);
    await timed("openai", count, stream);
  }
  const samples = { ollama: [] as number[], openai: [] as number[] };
  for (let i = 0; i < requests; i++) {
    for (const kind of i % 2 === 0 ? (["ollama", "openai"] as const) : (["openai", "ollama"] as const)) samples[kind].push(await timed(kind, count, stream));
  }
  return { ollama: percentile(samples.ollama, 50), openai: percentile(samples.openai, 50) };
}

/** Mean µs of `fn` over `n` runs, after a warm-up. */
function micro(n: number, fn: () => unknown): number {
  for (let i = 0; i < 1000; i++) fn();
  const started = performance.now();
  for (let i = 0; i < n; i++) fn();
  return ((performance.now() - started) / n) * 1000;
}

try {
  const oneToken = await compare(1, false);
  const streamed = await compare(tokens, true);

  const ollamaBody = bodies.ollama(16, true);
  const openaiBody = bodies.openai(16, true);
  const convertUs = micro(20_000, () => {
    const request = parseOllamaChat(ollamaBody);
    refuseUnsupportedChat(request);
    toSampling(request.options);
    return parseChatCompletionRequest(toChatCompletionBody(request, "fake-chat"));
  });
  const openaiParseUs = micro(20_000, () => parseChatCompletionRequest(openaiBody));
  const head = { model: "fake-chat:latest" };
  const ollamaLineUs = micro(200_000, () => JSON.stringify(chatDelta(head, { role: "assistant", content: "word " })) + "\n");
  const sse = createChatStream({ id: "chatcmpl-x", created: 0, model: "fake-chat", includeUsage: false });
  const sseLineUs = micro(200_000, () => sse.text("word "));

  const ms = (x: number) => x.toFixed(3);
  const us = (x: number) => x.toFixed(2);
  const rows = [
    ["figure", "/api/chat", "/v1/chat/completions", "overhead", "target"],
    [`request, 1 token, not streamed, p50 ms (${requests} each)`, ms(oneToken.ollama), ms(oneToken.openai), `${ms(oneToken.ollama - oneToken.openai)} ms`, "< 0.5 ms"],
    [`${tokens} tokens streamed, p50 ms`, ms(streamed.ollama), ms(streamed.openai), `${us(((streamed.ollama - streamed.openai) / tokens) * 1000)} µs/token`, "< 20 µs"],
    ["converters alone: parse + convert a body, µs", us(convertUs), us(openaiParseUs), `${us(convertUs - openaiParseUs)} µs`, ""],
    ["converters alone: one stream line, µs", us(ollamaLineUs), us(sseLineUs), `${us(ollamaLineUs - sseLineUs)} µs`, ""],
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  for (const row of rows) console.log(row.map((cell, c) => cell.padEnd(widths[c]!)).join("  ").trimEnd());
} finally {
  await Promise.all([mainServer.server, ollamaServer.server].map((server) => new Promise((resolve) => server.close(resolve))));
  await main.dispose();
}
