/**
 * `usage` counts exactly what llama.cpp sampled, and `finish_reason` agrees with it: over many
 * seeds on the demo model and the chat fixture, chat and raw completions, streamed and not, each
 * answer is checked against the same generation sampled independently (test/helpers/sample-tokens).
 * Random weights often end a token inside a UTF-8 character: node-llama-cpp holds such a token back
 * from its callbacks, so a count taken there fell short, and its raw completion sampled one past
 * the limit (patches/node-llama-cpp+3.22.1.patch).
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type OpenAI from "openai";
import { sampleTokens, type SampleJob } from "./helpers/sample-tokens.js";
import { ROOT, startShimmy, type ShimmyProcess } from "./helpers/shimmy-process.js";

const MAX_TOKENS = 32;
const SEEDS = Array.from({ length: 40 }, (_, i) => i);
let shimmy: ShimmyProcess;
let client: OpenAI;
let models: Record<string, string>;

beforeAll(async () => {
  models = { "chat-llama": inject("fixtureModels").chat, stories260K: path.join(ROOT, "models/stories260K.gguf") };
  // One slot: a seeded request that runs alone samples the same tokens as the independent run.
  shimmy = await startShimmy({ args: ["--parallel", "1", ...Object.values(models).flatMap((file) => ["--model", file])] });
  client = shimmy.client();
});
afterAll(() => shimmy?.stop());

interface Answer {
  finish: string | null;
  usage: OpenAI.CompletionUsage | undefined;
}

async function chat(model: string, content: string, seed: number, stream: boolean): Promise<Answer> {
  const body = { model, messages: [{ role: "user" as const, content }], max_tokens: MAX_TOKENS, seed };
  if (!stream) {
    const answer = await client.chat.completions.create(body);
    return { finish: answer.choices[0]!.finish_reason, usage: answer.usage };
  }
  const chunks = await client.chat.completions.create({ ...body, stream: true, stream_options: { include_usage: true } });
  const answer: Answer = { finish: null, usage: undefined };
  for await (const chunk of chunks) {
    answer.finish = chunk.choices[0]?.finish_reason ?? answer.finish;
    answer.usage = chunk.usage ?? answer.usage;
  }
  return answer;
}

async function complete(model: string, prompt: string, seed: number, stream: boolean): Promise<Answer> {
  const body = { model, prompt, max_tokens: MAX_TOKENS, seed };
  if (!stream) {
    const answer = await client.completions.create(body);
    return { finish: answer.choices[0]!.finish_reason, usage: answer.usage };
  }
  const chunks = await client.completions.create({ ...body, stream: true, stream_options: { include_usage: true } });
  const answer: Answer = { finish: null, usage: undefined };
  for await (const chunk of chunks) {
    answer.finish = chunk.choices[0]?.finish_reason ?? answer.finish;
    answer.usage = chunk.usage ?? answer.usage;
  }
  return answer;
}

describe.each(["chat-llama", "stories260K"])("token counts on %s", (model) => {
  it.each(["chat", "completion"] as const)("%s: completion_tokens is what was sampled, and length means exactly max_tokens", async (kind) => {
    const text = (seed: number) => (kind === "chat" ? `Tell me about ${seed}` : `Story ${seed}:`);
    const jobs: SampleJob[] = SEEDS.map((seed) => ({ ...(kind === "chat" ? { chat: text(seed) } : { prompt: text(seed) }), seed, maxTokens: MAX_TOKENS }));
    const expected = await sampleTokens(models[model]!, jobs);
    const ask = kind === "chat" ? chat : complete;
    let cutBeforeLimit = 0;
    for (const seed of SEEDS) {
      // Every fourth answer streamed: the same count either way.
      const answer = await ask(model, text(seed), seed, seed % 4 === 3);
      const sampled = expected[seed]!;
      const seen = { seed, finish: answer.finish, usage: answer.usage };
      expect(seen).toEqual({
        seed,
        finish: sampled.eog ? "stop" : "length",
        usage: { prompt_tokens: sampled.promptTokens, completion_tokens: sampled.tokens.length, total_tokens: sampled.promptTokens + sampled.tokens.length },
      });
      expect(answer.finish === "length").toBe(answer.usage!.completion_tokens === MAX_TOKENS);
      if (sampled.eog) cutBeforeLimit++;
    }
    // Most seeds run to the limit; the check covers both endings where the model has them.
    expect(cutBeforeLimit).toBeLessThan(SEEDS.length);
  });
});
