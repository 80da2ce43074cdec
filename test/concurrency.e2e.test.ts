/**
 * Slots, the wait queue and client disconnects, on a server with 4 slots and room for 4 waiters.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type OpenAI from "openai";
import { NEVER_END } from "./helpers/sampling.js";
import { startShimmy, type ShimmyProcess } from "./helpers/shimmy-process.js";

const MODEL = "chat-llama";
let shimmy: ShimmyProcess;
let client: OpenAI;

interface Health {
  slots: { model: string; slots: number; busy: number; waiting: number }[];
}

beforeAll(async () => {
  shimmy = await startShimmy({ args: ["--model", inject("fixtureModels").chat, "--parallel", "4", "--queue-size", "4"] });
  client = shimmy.client();
});
afterAll(() => shimmy?.stop());

async function health(): Promise<Health> {
  return (await (await fetch(`${shimmy.url}/health`)).json()) as Health;
}

/** Polls /health until `accept` holds, for at most `timeoutMs`. */
async function waitForHealth(accept: (h: Health) => boolean, timeoutMs = 5_000): Promise<Health> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const h = await health();
    if (accept(h)) return h;
    if (Date.now() > deadline) throw new Error(`health never matched: ${JSON.stringify(h)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Starts a streamed generation that runs to the end of the context unless aborted. */
function startLongStream(signal: AbortSignal) {
  const done = (async () => {
    const stream = await client.chat.completions.create(
      { model: MODEL, messages: [{ role: "user", content: "Write for a long time" }], stream: true, ...NEVER_END },
      { signal },
    );
    let chunks = 0;
    for await (const _ of stream) chunks++;
    return chunks;
  })();
  done.catch(() => undefined);
  return done;
}

describe("concurrency", () => {
  it("serves 8 concurrent requests on 4 slots, queueing the rest in order", async () => {
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        client.chat.completions.create({ model: MODEL, messages: [{ role: "user", content: `Request ${i}` }], max_tokens: 32, seed: i }),
      ),
    );
    for (const answer of answers) {
      // Random weights may write the end-of-turn token early; otherwise the limit ends it.
      const finish = answer.choices[0]?.finish_reason;
      expect(finish === "stop" || (finish === "length" && answer.usage?.completion_tokens === 32)).toBe(true);
    }
    const h = await health();
    expect(h.slots).toEqual([{ model: MODEL, slots: 4, busy: 0, waiting: 0 }]);
  });

  it("gives each of 8 concurrent streams its own text, the same as it gets alone", async () => {
    const alone = await client.chat.completions.create({ model: MODEL, messages: [{ role: "user", content: "Stream 3" }], max_tokens: 16, temperature: 0 });
    const streams = await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        const stream = await client.chat.completions.create({ model: MODEL, messages: [{ role: "user", content: `Stream ${i}` }], max_tokens: 16, temperature: 0, stream: true });
        let text = "";
        for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
        return text;
      }),
    );
    expect(streams).toHaveLength(8);
    expect(streams.every((t) => t.length > 0)).toBe(true);
    // Greedy decoding of the same prompt gives the same tokens, batched or alone.
    expect(streams[3]).toBe(alone.choices[0]?.message.content);
  });

  it("answers 503 with Retry-After when every slot is busy and the queue is full, then frees slots of clients that leave", async () => {
    const abort = new AbortController();
    const running = Array.from({ length: 8 }, () => startLongStream(abort.signal));
    await waitForHealth((h) => h.slots[0]?.busy === 4 && h.slots[0]?.waiting === 4);

    const refused = await client.chat.completions
      .create({ model: MODEL, messages: [{ role: "user", content: "one too many" }], max_tokens: 2 })
      .withResponse()
      .catch((e: unknown) => e);
    expect(refused).toMatchObject({ status: 503, code: "server_overloaded", type: "server_error" });
    expect((refused as { headers: Headers }).headers.get("retry-after")).toBe("1");

    // Every client goes away mid-stream: the generations stop and the slots free at once.
    abort.abort();
    await Promise.allSettled(running);
    await waitForHealth((h) => h.slots[0]?.busy === 0 && h.slots[0]?.waiting === 0, 2_000);
    // A request's line is written once its generation has settled, which can be just after its slot
    // shows free (failed once in a full run): wait for the lines, then count them.
    expect(await shimmy.countLogs((l) => l.event === "request" && l.outcome === "client_closed", 4, 5000)).toBeGreaterThanOrEqual(4);

    const after = await client.chat.completions.create({ model: MODEL, messages: [{ role: "user", content: "still here?" }], max_tokens: 4, ...NEVER_END });
    expect(after.choices[0]?.finish_reason).toBe("length");
  });

  it("stops a generation whose client leaves mid-stream long before its token limit", async () => {
    const abort = new AbortController();
    const stream = await client.chat.completions.create(
      { model: MODEL, messages: [{ role: "user", content: "abort me" }], stream: true, max_tokens: 1500, ...NEVER_END },
      { signal: abort.signal, headers: { "x-request-id": "abort-me" } },
    );
    let chunks = 0;
    try {
      for await (const _ of stream) if (++chunks === 3) abort.abort();
    } catch {
      // openai-node may end the loop or throw on abort; either way the client is gone.
    }
    expect(chunks).toBeGreaterThanOrEqual(3);
    await waitForHealth((h) => h.slots[0]?.busy === 0, 2_000);
    const line = await shimmy.waitForLog((l) => l.event === "request" && l.requestId === "abort-me");
    expect(line.outcome).toBe("client_closed");
    expect(line.completionTokens).toBeLessThan(100);
    const normal = await client.chat.completions.create({ model: MODEL, messages: [{ role: "user", content: "next" }], max_tokens: 4, ...NEVER_END });
    expect(normal.usage?.completion_tokens).toBe(4);
  });
});
