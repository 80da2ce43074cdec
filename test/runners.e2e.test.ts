/**
 * Runner processes (core/src/engine/runner/): each loaded model in its own child process, shown as
 * `runner_pid` in /api/models. On one server with two tiny models: a stream, an abort that frees
 * the slot at once, `kill -9` of a runner mid-stream and mid-request (an error event, a 500
 * `model_crashed`; the other model keeps answering and the next request starts a fresh runner),
 * three crashes in a row refused until an explicit load, an unload that ends the process, the
 * server's own process alive throughout, and no runner left once the server is SIGKILLed.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import OpenAI from "openai";
import { writeChatLlamaFixture } from "./fixtures/models.js";
import { NEVER_END } from "./helpers/sampling.js";
import { rawRequest } from "./helpers/raw-http.js";
import { startShimmy, type ShimmyProcess } from "./helpers/shimmy-process.js";

let dir: string;
let shimmy: ShimmyProcess;
let client: OpenAI;

interface AdminModel {
  id: string;
  loaded: boolean;
  runner_pid?: number;
  last_crash?: { at: string; reason: string; in_a_row: number };
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "shimmy-runners-"));
  await writeChatLlamaFixture(path.join(dir, "alpha.gguf"), { seed: 1 });
  await writeChatLlamaFixture(path.join(dir, "beta.gguf"), { seed: 2 });
  // One slot, so a slot that an abort or a crash did not free would hold the next request.
  shimmy = await startShimmy({ args: ["--models-dir", dir, "--parallel", "1", "--ctx-size", "8192"] });
  client = shimmy.client();
});
afterAll(async () => {
  await shimmy?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const models = async () => (await rawRequest(`${shimmy.url}/api/models`, { method: "GET" })).json.models as unknown as AdminModel[];
const model = async (id: string) => (await models()).find((m) => m.id === id)!;
const health = async () => (await rawRequest(`${shimmy.url}/health`, { method: "GET" })).json as { status: string; slots: { model: string; busy: number }[]; crashes?: { model: string; reason: string; in_a_row: number }[]; reasons?: string[] };
const ask = (id: string, extra: object = {}, signal?: AbortSignal) =>
  client.chat.completions.create({ model: id, messages: [{ role: "user", content: "hi" }], max_tokens: 4, ...NEVER_END, ...extra }, { signal });
/** {@link ask}, streamed. */
const askStream = (id: string, extra: object = {}, signal?: AbortSignal) =>
  client.chat.completions.create({ model: id, messages: [{ role: "user", content: "hi" }], max_tokens: 4, ...NEVER_END, ...extra, stream: true }, { signal });
/** Generous bounds for tests that load runners: a load takes well under a second alone, much longer on busy cores. */
const SLOW = 180_000;
/** A generation long enough to be interrupted: it never ends by itself before its limit. */
const LONG = { max_tokens: 8000 };

/** Whether a process is running (a zombie is not). */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

async function until<T>(probe: () => Promise<T | undefined | false>, what: string, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The runner of a model once it generates (its slot busy), for `kill -9`. */
const busyRunner = (id: string) =>
  // A load on two busy cores can take seconds.
  until(async () => (await health()).slots.find((s) => s.model === id && s.busy > 0) && (await model(id)).runner_pid, `${id} busy`, 60_000);

describe("runner processes", () => {
  it("streams from a model in its own process, shown in /api/models", async () => {
    let text = "";
    for await (const chunk of await askStream("alpha", { max_tokens: 8 })) text += chunk.choices[0]?.delta.content ?? "";
    expect(text.length).toBeGreaterThan(0);
    const alpha = await model("alpha");
    expect(alpha.loaded).toBe(true);
    expect(alpha.runner_pid).toEqual(expect.any(Number));
    expect(alpha.runner_pid).not.toBe(shimmy.child.pid);
    expect(running(alpha.runner_pid!)).toBe(true);
  }, SLOW);

  it("frees the slot at once when a stream is aborted", async () => {
    const controller = new AbortController();
    const stream = await askStream("alpha", { ...LONG }, controller.signal);
    for await (const _chunk of stream) break;
    controller.abort();
    // One slot: the next request is answered only if the abort crossed to the runner and freed it.
    const started = Date.now();
    expect((await ask("alpha")).choices[0]?.finish_reason).toBe("length");
    expect(Date.now() - started).toBeLessThan(5_000);
    await until(async () => (await health()).slots.find((s) => s.model === "alpha")?.busy === 0, "alpha idle");
  }, SLOW);

  it("fails only the killed runner's requests, and starts a fresh runner on the next", async () => {
    await ask("beta");
    const stream = await askStream("alpha", { ...LONG });
    const reading = (async () => {
      for await (const _chunk of stream) {
        // read until the error event
      }
    })();
    const pid = await busyRunner("alpha");
    process.kill(pid, "SIGKILL");
    await expect(reading).rejects.toThrow(/alpha.*crashed.*SIGKILL/);
    expect((await ask("beta")).choices[0]?.finish_reason).toBe("length");

    const crash = await model("alpha");
    expect(crash).toMatchObject({ loaded: false, last_crash: { reason: "killed by SIGKILL", in_a_row: 1 } });
    expect((await health()).crashes).toEqual([expect.objectContaining({ model: "alpha", reason: "killed by SIGKILL" })]);
    expect(shimmy.logs.some((l) => l.event === "model_crashed" && l.model === "alpha" && Array.isArray(l.stderr))).toBe(true);

    expect((await ask("alpha")).choices[0]?.finish_reason).toBe("length");
    const fresh = await model("alpha");
    expect(fresh.runner_pid).not.toBe(pid);
    expect(fresh.last_crash?.in_a_row).toBe(0);
    expect(shimmy.child.exitCode).toBeNull();
  }, SLOW);

  it("refuses a model that crashed three times in a row until it is loaded explicitly", async () => {
    for (let crash = 1; crash <= 3; crash++) {
      const answer = ask("alpha", LONG).catch((e: unknown) => e);
      process.kill(await busyRunner("alpha"), "SIGKILL");
      expect(await answer).toMatchObject({ status: 500, code: "model_crashed", message: expect.stringMatching(/"alpha" crashed.*killed by SIGKILL/) });
    }
    const refused = await ask("alpha").catch((e: unknown) => e);
    // Unavailable until reloaded, not a fault of this request: a 503 that names what to do next.
    expect(refused).toMatchObject({ status: 503, code: "model_failed", message: expect.stringMatching(/crashed 3 times in a row.*POST \/api\/models\/load/) });
    expect((await health())).toMatchObject({ status: "degraded", reasons: [expect.stringMatching(/alpha crashed 3 times/)] });
    expect((await ask("beta")).choices[0]?.finish_reason).toBe("length");

    const load = await rawRequest(`${shimmy.url}/api/models/load`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "alpha" }) });
    expect(load.status).toBe(200);
    expect((await ask("alpha")).choices[0]?.finish_reason).toBe("length");
    expect((await health()).status).toBe("ok");
    expect(shimmy.child.exitCode).toBeNull();
  }, SLOW);

  it("ends the runner process on unload", async () => {
    await ask("beta");
    const pid = (await model("beta")).runner_pid!;
    expect(running(pid)).toBe(true);
    const unload = await rawRequest(`${shimmy.url}/api/models/unload`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "beta" }) });
    expect(unload.status).toBe(200);
    expect(running(pid)).toBe(false);
    expect((await model("beta")).runner_pid).toBeUndefined();
  }, SLOW);

  it("leaves no runner behind when the server is killed with SIGKILL", async () => {
    await Promise.all([ask("alpha"), ask("beta")]);
    const pids = (await models()).map((m) => m.runner_pid).filter((pid): pid is number => pid !== undefined);
    expect(pids).toHaveLength(2);
    shimmy.child.kill("SIGKILL");
    await until(async () => pids.every((pid) => !running(pid)), "the runners to notice their parent died", 10_000);
  }, SLOW);
});
