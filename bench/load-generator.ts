/**
 * A load generator for any OpenAI-compatible server: N workers, each sending streaming (or, with
 * `--whole`, whole) chat requests back to back, measuring time to first token, latency and
 * generated tokens.
 *
 *   npx tsx bench/load-generator.ts --url http://127.0.0.1:11435/v1 --model NAME --concurrency 4 [--whole]
 */
import { parseArgs } from "node:util";
import { sseEvents } from "../core/src/routing/upstreams/sse-events.js";
import { summarize, type LoadSummary, type RequestSample } from "./stats.js";

/** Options of {@link runLoad}. */
export interface LoadOptions {
  /** The `/v1` base URL. */
  baseURL: string;
  model: string;
  concurrency: number;
  /** Requests each worker sends, one after another. */
  requestsPerWorker: number;
  maxTokens: number;
  prompt: string;
  apiKey?: string;
  /**
   * Whether answers are streamed (SSE, a chunk per token). Whole answers (`false`) measure the
   * engine without the per-token work of streaming (events written by the server, parsed by this
   * client), which costs every server CPU time the generation would otherwise use. @default true
   */
  stream?: boolean;
}

/**
 * Sends one chat request and measures it. Streamed, tokens come from the usage chunk, else one per
 * content chunk; whole, from its usage (and it has no time to first token).
 */
async function sendOne(options: LoadOptions): Promise<RequestSample> {
  const stream = options.stream ?? true;
  let started = performance.now();
  // A server may close a kept-alive connection just as the next request goes out on it (llama.cpp's
  // server does between requests): that request never reached it, so it is sent again, timed anew.
  const send = () => {
    started = performance.now();
    return fetch(`${options.baseURL}/chat/completions`, request);
  };
  const request: RequestInit = {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${options.apiKey ?? "bench"}` },
    body: JSON.stringify({
      model: options.model,
      messages: [{ role: "user", content: options.prompt }],
      max_tokens: options.maxTokens,
      temperature: 0,
      ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
    }),
  };
  const response = await send().catch((err: { cause?: { code?: string } }) => {
    if (err.cause?.code !== "UND_ERR_SOCKET") throw err;
    return send();
  });
  if (!response.ok || !response.body) throw new Error(`${response.status} ${await response.text()}`);
  if (!stream) {
    const { usage } = (await response.json()) as { usage: { completion_tokens: number } };
    return { ttftMs: Number.NaN, latencyMs: performance.now() - started, completionTokens: usage.completion_tokens };
  }
  let ttftMs = Number.NaN;
  let contentChunks = 0;
  let usageTokens: number | undefined;
  for await (const event of sseEvents(response.body)) {
    const chunk = event as { choices?: { delta?: { content?: string } }[]; usage?: { completion_tokens: number } | null };
    if (chunk.choices?.[0]?.delta?.content) {
      if (Number.isNaN(ttftMs)) ttftMs = performance.now() - started;
      contentChunks++;
    }
    if (chunk.usage) usageTokens = chunk.usage.completion_tokens;
  }
  return { ttftMs, latencyMs: performance.now() - started, completionTokens: usageTokens ?? contentChunks };
}

/** What one load run measured, to summarise alone or merged with other runs. */
export interface LoadRun {
  samples: RequestSample[];
  wallMs: number;
}

/** Runs the load and returns its samples and wall time. */
export async function loadRun(options: LoadOptions): Promise<LoadRun> {
  const samples: RequestSample[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      for (let i = 0; i < options.requestsPerWorker; i++) samples.push(await sendOne(options));
    }),
  );
  return { samples, wallMs: performance.now() - started };
}

/** Runs the load and summarises it. */
export async function runLoad(options: LoadOptions): Promise<LoadSummary> {
  const { samples, wallMs } = await loadRun(options);
  return summarize(samples, wallMs);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      url: { type: "string", default: "http://127.0.0.1:11435/v1" },
      model: { type: "string" },
      concurrency: { type: "string", default: "4" },
      requests: { type: "string", default: "4" },
      "max-tokens": { type: "string", default: "128" },
      prompt: { type: "string", default: "Write a long story about a robot who learns to paint." },
      "api-key": { type: "string" },
      whole: { type: "boolean", default: false },
    },
  });
  if (!values.model) throw new Error("--model is required");
  const summary = await runLoad({
    baseURL: values.url!, model: values.model, concurrency: Number(values.concurrency), requestsPerWorker: Number(values.requests),
    maxTokens: Number(values["max-tokens"]), prompt: values.prompt!, apiKey: values["api-key"], stream: !values.whole,
  });
  console.log(JSON.stringify(summary, null, 2));
}
