/**
 * Routes end to end: one real server on the two tiny llama fixtures, the real rules-router plugin
 * built from plugins/, a test router that traps, spins or names a stranger (core/test-plugins/
 * bad-router.ts), and the official `openai` client, which sees ordinary answers whose `model` and
 * `x-shimmy-model` name the model that served.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type OpenAI from "openai";
import { packedPlugin } from "../scripts/first-party-plugins.js";
import { pluginCli } from "./helpers/plugin-cli.js";
import { NEVER_END } from "./helpers/sampling.js";
import { waitForPlugins } from "./helpers/plugins-api.js";
import { ROOT, startShimmy, type ShimmyProcess } from "./helpers/shimmy-process.js";
import { packTestPlugin } from "./helpers/test-plugin-package.js";

let shimmy: ShimmyProcess;
let client: OpenAI;
let work: string;

const CHAT = "chat-llama";
const FIM = "fim-llama";
/** The demo model (models/stories260K.gguf): the classify router's labeller. */
const DEMO = "stories260K";
const RULES = [
  { name: "code", tag: "code", keywords: ["python"] },
  { name: "long", model: FIM, min_tokens: 40 },
];

beforeAll(async () => {
  const models = inject("fixtureModels");
  work = fs.mkdtempSync(path.join(os.tmpdir(), "shimmy-routing-"));
  const home = path.join(work, "home");
  fs.mkdirSync(path.join(home, ".shimmy"), { recursive: true });
  const routes = {
    smart: { models: [CHAT, { model: FIM, tags: ["code"] }], router: "rules-router/rules" },
    trapping: { models: [CHAT, FIM], router: "bad-router/trap" },
    spinning: { models: [CHAT, FIM], router: "bad-router/loop" },
    lying: { models: [FIM, CHAT], router: "bad-router/stranger" },
    missing: { models: ["no-such-model", FIM] },
    strict: { models: [CHAT, FIM], fallback: { retry_on: ["load_failed"] } },
    classified: { models: [CHAT, FIM], router: "classify-router/classify" },
  };
  fs.writeFileSync(path.join(home, ".shimmy/config.json"), JSON.stringify({ routes }));
  const bad = await packTestPlugin(
    "bad-router",
    {
      name: "bad-router", version: "1.0.0", description: "test router", shimmy: "*",
      capabilities: ["trap", "loop", "stranger"].map((name) => ({ kind: "router", name, export: name })),
      limits: { memoryMaxPages: 64, timeoutMs: 300, maxResponseBytes: 65536 },
    } as { name: string; version: string },
    work,
  );
  for (const tgz of [packedPlugin(inject("firstPartyPlugins"), "rules-router").tgz, packedPlugin(inject("firstPartyPlugins"), "classify-router").tgz, bad]) {
    const run = await pluginCli(home, ["install", tgz, "--yes"]);
    expect(run.code, run.stderr).toBe(0);
  }
  const config = await pluginCli(home, ["config", "rules-router", `rules=${JSON.stringify(RULES)}`]);
  expect(config.code, config.stderr).toBe(0);
  const classify = await pluginCli(home, ["config", "classify-router", `model=${DEMO}`, "labels=code,chat", `routes=${JSON.stringify({ code: FIM, chat: CHAT })}`, "--yes"]);
  expect(classify.code, classify.stderr).toBe(0);
  shimmy = await startShimmy({
    args: ["--model", models.chat, "--model", models.fim, "--model", path.join(ROOT, "models", `${DEMO}.gguf`), "--no-discovery", "--parallel", "1", "--queue-size", "0", "--ctx-size", "512"],
    home,
  });
  client = shimmy.client({ timeout: 60_000 });
  await waitForPlugins(shimmy.url, (p) => p.filter((x) => x.status === "ready").length === 3);
}, 180_000);

afterAll(async () => {
  await shimmy?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

/** Asks `model` through the `openai` client; the served model from the body and the header. */
async function ask(model: string, content: string, extra: Record<string, unknown> = {}) {
  const { data, response } = await client.chat.completions.create({ model, messages: [{ role: "user", content }], max_tokens: 4, seed: 1, ...extra }).withResponse();
  return { body: data, header: response.headers.get("x-shimmy-model"), requestId: response.headers.get("x-request-id") };
}

/** The request log line of the request `requestId` (written once its answer is sent). */
function requestLog(requestId: string | null): Promise<Record<string, unknown>> {
  return shimmy.waitForLog((l) => l.event === "request" && l.requestId === requestId);
}

describe("routes", () => {
  it("lists the configured routes in /v1/models, owned by shimmy-route", async () => {
    const models = (await client.models.list()).data;
    expect(models.filter((m) => m.owned_by === "shimmy-route").map((m) => m.id).sort()).toEqual(["classified", "lying", "missing", "smart", "spinning", "strict", "trapping"]);
    expect(models.find((m) => m.id === CHAT)?.owned_by).toBe("shimmy");
  });

  it("lets the rules router pick by keyword and by token count, naming the served model", async () => {
    const plain = await ask("smart", "hello there");
    expect([plain.body.model, plain.header]).toEqual([CHAT, CHAT]);
    expect(plain.body.choices[0]?.message.role).toBe("assistant");
    const code = await ask("smart", "write me some Python");
    expect([code.body.model, code.header]).toEqual([FIM, FIM]);
    expect(await requestLog(code.requestId)).toMatchObject({ model: FIM, route: { id: "smart", reason: "rule code matched", router: "rules-router/rules", fallbacks: [] } });
    const long = await ask("smart", "tell me a story about a cat ".repeat(8));
    expect([long.body.model, long.header]).toEqual([FIM, FIM]);
    // The Responses API names the served model too.
    const response = await client.responses.create({ model: "smart", input: "write me some Python", max_output_tokens: 3, store: false });
    expect(response.model).toBe(FIM);
    const stream = await client.chat.completions.create({ model: "smart", messages: [{ role: "user", content: "python" }], max_tokens: 3, stream: true });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(new Set(chunks.map((c) => c.model))).toEqual(new Set([FIM]));
  });

  it.each([
    ["traps", "trapping", CHAT],
    ["runs past its deadline", "spinning", CHAT],
    ["names a model that is no candidate", "lying", FIM],
  ])("serves the first candidate when the router %s, and logs why", async (_what, route, first) => {
    const answer = await ask(route, "hello");
    expect([answer.body.model, answer.header]).toEqual([first, first]);
    const log = await requestLog(answer.requestId);
    expect(log).toMatchObject({ model: first, route: { id: route, reason: expect.stringMatching(/^router failed, first candidate serves: /) } });
    expect(shimmy.logs.some((l) => l.event === "router_failed" && l.route === route)).toBe(true);
  });

  it("falls back when the first candidate is missing", async () => {
    const answer = await ask("missing", "hello");
    expect([answer.body.model, answer.header]).toEqual([FIM, FIM]);
    expect(await requestLog(answer.requestId)).toMatchObject({ route: { fallbacks: ["no-such-model: load_failed (model_not_found)"] } });
  });

  it("falls back when the first candidate's queue is full, unless retry_on leaves queue_full out", async () => {
    // One slot, no queue: a long stream on the chat model holds it while the routed requests come.
    const holder = new AbortController();
    // NEVER_END: a random-weight model can write its end token early and free the slot before the routed requests come.
    const busy = await client.chat.completions.create({ model: CHAT, messages: [{ role: "user", content: "go" }], max_tokens: 2000, stream: true, ...NEVER_END }, { signal: holder.signal });
    const iterator = busy[Symbol.asyncIterator]();
    await iterator.next();
    try {
      const answer = await ask("auto", "hello");
      expect([answer.body.model, answer.header]).toEqual([FIM, FIM]);
      expect(await requestLog(answer.requestId)).toMatchObject({ route: { fallbacks: [`${CHAT}: queue_full (server_overloaded)`] } });
      await expect(ask("strict", "hello")).rejects.toMatchObject({ status: 503 });
    } finally {
      holder.abort();
      await iterator.return?.().catch(() => undefined);
    }
  });

  it("lets the classify router label the query with the demo model, the label forced to one of its set", async () => {
    const answer = await ask("classified", "Write a function that sorts a list.");
    const log = await requestLog(answer.requestId);
    const reason = (log.route as { reason: string }).reason;
    const label = /^labelled (code|chat) by stories260K$/.exec(reason)?.[1];
    expect(label, reason).toBeDefined();
    const served = label === "code" ? FIM : CHAT;
    expect([answer.body.model, answer.header, log.model]).toEqual([served, served, served]);
  });

  it("re-reads the routes from config.json on SIGHUP, and keeps them when the file does not validate", async () => {
    const file = path.join(work, "home", ".shimmy", "config.json");
    const before = fs.readFileSync(file, "utf8");
    try {
      fs.writeFileSync(file, JSON.stringify({ routes: { ...JSON.parse(before).routes, late: { models: [FIM] } } }));
      shimmy.child.kill("SIGHUP");
      await shimmy.waitForLog((line) => line.event === "routes_reloaded");
      expect((await client.models.list()).data.map((m) => m.id)).toContain("late");
      expect((await ask("late", "Hello")).header).toBe(FIM);
      fs.writeFileSync(file, JSON.stringify({ routes: { late: { models: [] } } }));
      shimmy.child.kill("SIGHUP");
      const refused = await shimmy.waitForLog((line) => line.event === "routes_reload_failed");
      expect(refused.error).toMatch(/config\.json/);
      expect((await ask("late", "Hello")).header).toBe(FIM);
      expect(shimmy.child.exitCode).toBeNull();
    } finally {
      fs.writeFileSync(file, before);
    }
  });
});
