/**
 * Continuous batching on a server with 4 slots: a request landing on a slot an earlier request used
 * starts while the other slots keep generating (patches/node-llama-cpp+3.22.1.patch: the batch
 * dispatcher yields its lock between batches, so the slot's old tokens can be erased), and a prompt
 * that extends what a slot holds goes to that slot, its request log line reporting the tokens reused.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type OpenAI from "openai";
import { NEVER_END } from "./helpers/sampling.js";
import { startShimmy, type ShimmyProcess } from "./helpers/shimmy-process.js";

const MODEL = "chat-llama";
/** Long enough that three streams at one thread outlast a short request many times over. */
const LONG_STREAM_TOKENS = 600;
let shimmy: ShimmyProcess;
let client: OpenAI;

beforeAll(async () => {
  shimmy = await startShimmy({ args: ["--model", inject("fixtureModels").chat, "--parallel", "4", "--threads", "1"] });
  client = shimmy.client();
});
afterAll(() => shimmy?.stop());

/** A streamed chat whose chunks are counted as they arrive; `ended` turns true when the stream is over. */
function countedStream(content: string, maxTokens: number, signal?: AbortSignal) {
  const state = { chunks: 0, ended: false, firstChunk: undefined as Promise<void> | undefined };
  let markFirst!: () => void;
  state.firstChunk = new Promise<void>((resolve) => (markFirst = resolve));
  const done = (async () => {
    const stream = await client.chat.completions.create(
      { model: MODEL, messages: [{ role: "user", content }], stream: true, max_tokens: maxTokens, temperature: 0, ...NEVER_END },
      { signal },
    );
    try {
      for await (const chunk of stream) {
        if (chunk.choices[0]?.delta.content) {
          state.chunks++;
          markFirst();
        }
      }
    } finally {
      state.ended = true;
    }
  })();
  done.catch(() => undefined);
  return { state, done };
}

/** The request log line of `requestId`, once written. */
function requestLine(requestId: string) {
  return shimmy.waitForLog((l) => l.event === "request" && l.requestId === requestId);
}

describe("continuous batching", () => {
  it("gives a request on a reused slot its first token while three other streams keep generating", async () => {
    // Every slot holds an earlier conversation, so the next request's slot must erase old tokens.
    await Promise.all(
      ["Warm slot one", "Warm slot two", "Warm slot three", "Warm slot four"].map((content) =>
        client.chat.completions.create({ model: MODEL, messages: [{ role: "user", content }], max_tokens: 4, temperature: 0 }),
      ),
    );
    const abort = new AbortController();
    const long = ["First long story", "Second long story", "Third long story"].map((content) => countedStream(content, LONG_STREAM_TOKENS, abort.signal));
    try {
      await Promise.all(long.map((s) => s.state.firstChunk));

      const late = countedStream("A different short question", 4);
      await late.state.firstChunk;
      // Counted at the late request's first token: every long stream is still under way.
      const atFirstToken = long.map((s) => ({ ended: s.state.ended, chunks: s.state.chunks }));
      await late.done;
      expect(late.state.chunks).toBeGreaterThan(0);
      expect(atFirstToken.map((s) => s.ended)).toEqual([false, false, false]);
      expect(atFirstToken.every((s) => s.chunks < LONG_STREAM_TOKENS)).toBe(true);
      // And they kept going after it: the late request did not wait for them, nor they for it.
      expect(long.map((s) => s.state.ended)).toEqual([false, false, false]);
    } finally {
      abort.abort();
      await Promise.allSettled(long.map((s) => s.done));
    }
  });

  it("sends a chat that continues a conversation to the slot holding it and logs the prompt tokens reused", async () => {
    const question = "Tell me about the painter robot and its first colours";
    const first = await client.chat.completions.create(
      { model: MODEL, messages: [{ role: "user", content: question }], max_tokens: 8, temperature: 0 },
      { headers: { "x-request-id": "turn-1" } },
    );
    const firstLine = await requestLine("turn-1");
    const answer = first.choices[0]?.message.content ?? "";
    await client.chat.completions.create(
      { model: MODEL, messages: [{ role: "user", content: question }, { role: "assistant", content: answer }, { role: "user", content: "And then?" }], max_tokens: 4, temperature: 0 },
      { headers: { "x-request-id": "turn-2" } },
    );
    const secondLine = await requestLine("turn-2");
    const firstPrompt = firstLine.promptTokens as number;
    const secondPrompt = secondLine.promptTokens as number;
    const reused = secondLine.promptTokensReused as number;
    // The whole first prompt came from the slot's cache (the other slots share only the template's
    // opening tokens with it); only the new turns were evaluated.
    expect(reused).toBeGreaterThanOrEqual(firstPrompt);
    expect(reused).toBeLessThan(secondPrompt);
  });

  it("logs the prompt tokens reused on raw completions and Responses too", async () => {
    const prompt = "Once upon a time a small robot opened a box of paints and";
    await client.completions.create({ model: MODEL, prompt, max_tokens: 2, temperature: 0 }, { headers: { "x-request-id": "raw-1" } });
    const rawFirst = await requestLine("raw-1");
    await client.completions.create({ model: MODEL, prompt: `${prompt} painted the sky`, max_tokens: 2, temperature: 0 }, { headers: { "x-request-id": "raw-2" } });
    const rawSecond = await requestLine("raw-2");
    expect(rawFirst.promptTokensReused).toBeTypeOf("number");
    expect(rawSecond.promptTokensReused as number).toBeGreaterThanOrEqual((rawFirst.promptTokens as number) - 1);
    expect(rawSecond.promptTokensReused as number).toBeLessThan(rawSecond.promptTokens as number);

    const input = "Describe the robot's studio in a few words, please";
    await client.responses.create({ model: MODEL, input, max_output_tokens: 4, temperature: 0 }, { headers: { "x-request-id": "resp-1" } });
    const respFirst = await requestLine("resp-1");
    await client.responses.create({ model: MODEL, input, max_output_tokens: 4, temperature: 0 }, { headers: { "x-request-id": "resp-2" } });
    const respSecond = await requestLine("resp-2");
    // The same prompt again: all of it but the last token (whose logits give the first sample) is reused.
    expect(respSecond.promptTokensReused).toBe((respFirst.promptTokens as number) - 1);
  });
});
