/**
 * The bystanders of a sandbox attack: while one plugin (or one package) misbehaves, a chat completion
 * and another plugin's tool call must keep answering in their usual time. Used by the hostile-plugin
 * tests, which record what each attack cost the caller beside it.
 */
import { expect } from "vitest";

/** What the bystanders saw while the attack ran. */
export interface Bystanders {
  /** Calculator calls made, and the slowest of them in ms. */
  calls: number;
  slowestCallMs: number;
  /** Chat completions made, and the slowest of them in ms. */
  chats: number;
  slowestChatMs: number;
}

/**
 * Until `during` settles, alternates a calculator call (`calculate`, on the server at `url`) and a
 * short chat completion of `model`, 50 ms apart, each bounded by 10 s and checked for the right
 * answer. Always makes at least one of each, even when the attack ends first. Bounded: 1000 rounds.
 */
export async function othersKeepAnswering(url: string, model: string, during: Promise<unknown>): Promise<Bystanders> {
  let settled = false;
  void during.then(() => (settled = true), () => (settled = true));
  const seen: Bystanders = { calls: 0, slowestCallMs: 0, chats: 0, slowestChatMs: 0 };
  for (let i = 0; i < 1000 && (!settled || seen.calls === 0 || seen.chats === 0); i++) {
    const started = Date.now();
    if (i % 2 === 0) {
      const answer = await post(url, "/api/tools/call", { name: "calculate", arguments: { expression: `${i}+1` } });
      expect(answer).toEqual({ result: { result: String(i + 1) } });
      seen.calls++;
      seen.slowestCallMs = Math.max(seen.slowestCallMs, Date.now() - started);
    } else {
      const answer = await post(url, "/v1/chat/completions", { model, messages: [{ role: "user", content: "Once upon a time" }], max_tokens: 8, seed: i });
      expect(answer).toMatchObject({ object: "chat.completion", choices: [{ message: { role: "assistant" } }] });
      seen.chats++;
      seen.slowestChatMs = Math.max(seen.slowestChatMs, Date.now() - started);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return seen;
}

/** Asserts the bystanders were served throughout, each in well under the attack's own deadlines. */
export function expectUnaffected(seen: Bystanders): void {
  expect(seen.calls).toBeGreaterThan(0);
  expect(seen.chats).toBeGreaterThan(0);
  expect(seen.slowestCallMs).toBeLessThan(2000);
  expect(seen.slowestChatMs).toBeLessThan(3000);
}

/** Loads `model` with one chat completion, so that no bystander's answer counts the load. */
export async function warmUp(url: string, model: string): Promise<void> {
  expect(await post(url, "/v1/chat/completions", { model, messages: [{ role: "user", content: "Hi" }], max_tokens: 1 }, 60_000)).toMatchObject({ object: "chat.completion" });
}

async function post(url: string, pathname: string, body: unknown, timeoutMs = 10_000): Promise<unknown> {
  const answer = await fetch(`${url}${pathname}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  return answer.json();
}
