import { afterEach, describe, expect, it } from "vitest";
import { normalizeUpstreams } from "../../config/upstreams.js";
import { ShimmyError } from "../../errors.js";
import { GenerationAborted, type ChatRequest, type ToolCallDelta } from "../../engine/types.js";
import { createLogger } from "../../logger.js";
import { withRouteReport, type RouteReport } from "../routes/route-report.js";
import { startOpenAIUpstream, type OpenAIUpstream } from "./openai-upstream.fixture.js";
import { UpstreamEngine } from "./upstream-engine.js";

const logger = createLogger("silent");
const started: { stop(): Promise<void> | void }[] = [];

afterEach(async () => {
  for (const item of started.splice(0)) await item.stop();
});

async function upstream(options: Parameters<typeof startOpenAIUpstream>[0] = {}): Promise<OpenAIUpstream> {
  const up = await startOpenAIUpstream(options);
  started.push(up);
  return up;
}

async function engineOver(entries: Parameters<typeof normalizeUpstreams>[0], keys: Parameters<typeof normalizeUpstreams>[1] = {}): Promise<UpstreamEngine> {
  const engine = new UpstreamEngine({ upstreams: normalizeUpstreams(entries, keys), logger });
  started.push({ stop: () => engine.dispose() });
  await engine.start();
  return engine;
}

function chat(model: string, text: string, extra: Partial<ChatRequest> = {}): ChatRequest {
  return { model, turns: [{ role: "user", text }], sampling: { stop: [] }, signal: new AbortController().signal, ...extra };
}

describe("UpstreamEngine", () => {
  it("lists the discovered models as UPSTREAM/MODEL and POOL/MODEL, owned by the upstream or the pool", async () => {
    const a = await upstream({ models: ["m1", "m2"] });
    const b = await upstream({ models: ["m1"] });
    const engine = await engineOver([
      { name: "a", baseURL: a.baseURL, pool: "p" },
      { name: "b", baseURL: b.baseURL, pool: "p" },
    ]);
    const listed = engine.listModels().map((m) => [m.id, m.ownedBy, m.upstreams?.map((u) => u.name).join(",")]);
    expect(listed).toEqual([["a/m1", "a", "a"], ["p/m1", "p", "a,b"], ["a/m2", "a", "a"], ["p/m2", "p", "a"], ["b/m1", "b", "b"]]);
    expect(engine.listModels()[0]!.created).toBe(1_700_000_000);
    // Not a Shimmy (no /api/models): what the models can do is unknown, so all of it is claimed.
    expect(engine.listModels()[0]!.capabilities).toEqual(["chat", "completion", "embedding"]);
  });

  it("streams a chat answer from the upstream as it arrives, with its usage, and sends the key", async () => {
    const up = await upstream({ models: ["qwen"], name: "node1" });
    const engine = await engineOver([{ name: "gpu1", baseURL: up.baseURL, models: ["qwen"] }], { gpu1: { apiKey: "sk-test" } });
    const pieces: string[] = [];
    const result = await engine.chat(chat("gpu1/qwen", "hello there", { onText: (t) => pieces.push(t), sampling: { stop: [], temperature: 0 } }));
    expect(pieces).toEqual(["node1 ", "says: ", "hello ", "there"]);
    expect(result).toMatchObject({ text: "node1 says: hello there", finishReason: "stop", promptTokens: 7, completionTokens: 4 });
    const sent = up.requests.find((r) => r.path === "/chat/completions")!;
    expect(sent.body).toMatchObject({ model: "qwen", stream: true, temperature: 0, messages: [{ role: "user", content: "hello there" }] });
    expect(sent.headers.authorization).toBe("Bearer sk-test");
  });

  it("names the pool member that served in the request's report, and sends max_completion_tokens when the client named its cap so", async () => {
    const a = await upstream({ models: ["m1"] });
    const engine = await engineOver([{ name: "a", baseURL: a.baseURL, pool: "p" }]);
    const report: RouteReport = { body: { model: "p/m1", max_completion_tokens: 5 } };
    await withRouteReport(report, () => engine.chat(chat("p/m1", "hi", { sampling: { stop: [], maxTokens: 5 } })));
    expect(report.upstream).toBe("a");
    const named = a.requests.filter((r) => r.path === "/chat/completions")[0]!.body;
    expect(named).toMatchObject({ max_completion_tokens: 5 });
    expect(named).not.toHaveProperty("max_tokens");
    await withRouteReport({ body: { model: "p/m1", max_tokens: 5 } }, () => engine.chat(chat("p/m1", "hi", { sampling: { stop: [], maxTokens: 5 } })));
    expect(a.requests.filter((r) => r.path === "/chat/completions")[1]!.body).toMatchObject({ max_tokens: 5 });
    expect(a.requests.filter((r) => r.path === "/chat/completions")[1]!.body).not.toHaveProperty("max_completion_tokens");
  });

  it("passes tool-call pieces through and reports the upstream's cached tokens as reused in a session", async () => {
    const up = await upstream({ toolCall: { name: "calc", arguments: '{"x":1}' } });
    const engine = await engineOver([{ name: "u", baseURL: up.baseURL }]);
    const deltas: ToolCallDelta[] = [];
    const session = await engine.chatSession({ model: "u/m1", signal: new AbortController().signal });
    const round = await session.chat({ turns: [{ role: "user", text: "add" }], sampling: { stop: [] }, tools: [{ name: "calc", parameters: { type: "object" } }], onToolCall: (d) => deltas.push(d) });
    session.release();
    expect(round).toMatchObject({ finishReason: "tool_calls", toolCalls: [{ id: "call_up_1", name: "calc", arguments: '{"x":1}' }], promptTokensReused: 2, promptTokensEvaluated: 5 });
    expect(deltas).toEqual([{ index: 0, id: "call_up_1", name: "calc" }, { index: 0, arguments: '{"x":1}' }]);
  });

  it("proxies completions and embeddings", async () => {
    const up = await upstream();
    const engine = await engineOver([{ name: "u", baseURL: up.baseURL }]);
    const completion = await engine.complete({ model: "u/m1", prompt: "Once", sampling: { stop: [], maxTokens: 2 }, signal: new AbortController().signal });
    expect(completion).toMatchObject({ text: "up says: ", finishReason: "length", completionTokens: 2 });
    const embedded = await engine.embed({ model: "u/m1", inputs: ["abc", "de"], signal: new AbortController().signal });
    expect(embedded.vectors.map((v) => [...v])).toEqual([[3, 0, 1], [2, 1, 1]]);
    expect([embedded.promptTokens, embedded.dimensions]).toEqual([4, 3]);
  });

  it("maps an upstream 4xx to its message behind the upstream's name, and a 5xx to upstream_unavailable", async () => {
    const up = await upstream();
    const engine = await engineOver([{ name: "u", baseURL: up.baseURL }]);
    up.failWith = { status: 400, code: "invalid_parameter", message: "messages.0.content is too long" };
    const bad = await engine.chat(chat("u/m1", "x")).catch((e: unknown) => e);
    expect([(bad as ShimmyError).status, (bad as ShimmyError).code, (bad as ShimmyError).message]).toEqual([400, "invalid_parameter", 'upstream "u": messages.0.content is too long']);
    up.failWith = { status: 500, message: "kaboom" };
    const down = await engine.chat(chat("u/m1", "x")).catch((e: unknown) => e);
    expect([(down as ShimmyError).status, (down as ShimmyError).code]).toEqual([502, "upstream_unavailable"]);
    expect((down as ShimmyError).message).toContain('"u" failed (HTTP 500): kaboom');
  });

  it("aborts the upstream request when the client leaves, with what it had generated", async () => {
    const up = await upstream({ answer: () => "one two three four five six seven eight", wordDelayMs: 40 });
    const engine = await engineOver([{ name: "u", baseURL: up.baseURL }]);
    const controller = new AbortController();
    const err = await engine.chat(chat("u/m1", "x", { signal: controller.signal, onText: () => controller.abort() })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GenerationAborted);
    expect((err as GenerationAborted).completionTokens).toBe(1);
    await expect.poll(() => up.aborted).toBe(1);
  });

  it("balances a pool by least outstanding requests, within each member's maxConcurrency", async () => {
    const a = await upstream({ wordDelayMs: 30, name: "a" });
    const b = await upstream({ wordDelayMs: 30, name: "b" });
    const engine = await engineOver([
      { name: "a", baseURL: a.baseURL, pool: "p", maxConcurrency: 2 },
      { name: "b", baseURL: b.baseURL, pool: "p", maxConcurrency: 2 },
    ]);
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => engine.chat(chat("p/m1", `q${i}`))));
    const by = (name: string) => answers.filter((r) => r.text.startsWith(`${name} says`)).length;
    expect([by("a"), by("b")]).toEqual([4, 4]);
    expect([a.inFlight.max, b.inFlight.max]).toEqual([2, 2]);
  });

  it("takes a refusing member out of the pool at once, serves through the other, and brings it back when its health check passes", async () => {
    const a = await upstream({ name: "a" });
    const b = await upstream({ name: "b" });
    const engine = await engineOver([
      { name: "a", baseURL: a.baseURL, pool: "p", healthCheckSeconds: 1 },
      { name: "b", baseURL: b.baseURL, pool: "p", healthCheckSeconds: 1 },
    ]);
    await a.stop();
    const answers = await Promise.all([1, 2, 3, 4].map((i) => engine.chat(chat("p/m1", `q${i}`))));
    expect(answers.every((r) => r.text.startsWith("b says"))).toBe(true);
    expect(engine.health().find((h) => h.name === "a")).toMatchObject({ healthy: false, error: expect.stringMatching(/ECONNREFUSED/) });
    expect(engine.unhealthyReasons()).toEqual([expect.stringMatching(/^upstream a fails its health check/)]);
    expect(engine.modelState("a/m1").loaded).toBe(false);
    const refused = await engine.chat(chat("a/m1", "x")).catch((e: unknown) => e);
    expect((refused as ShimmyError).code).toBe("upstream_unavailable");
    await a.restart();
    await expect.poll(() => engine.health().find((h) => h.name === "a")?.healthy, { timeout: 3000 }).toBe(true);
    const after = await Promise.all([1, 2, 3, 4].map((i) => engine.chat(chat("p/m1", `q${i}`))));
    expect(after.some((r) => r.text.startsWith("a says"))).toBe(true);
  });

  it("fails a health check that gets an error status, and loadModel checks the upstream now", async () => {
    const up = await upstream();
    const engine = await engineOver([{ name: "u", baseURL: up.baseURL, models: ["m1"], healthCheckSeconds: 60 }]);
    expect(await engine.loadModel("u/m1")).toMatchObject({ loaded: true, memoryBytes: null });
    up.failWith = { status: 503, message: "warming up" };
    const err = await engine.loadModel("u/m1").catch((e: unknown) => e);
    expect((err as ShimmyError).code).toBe("upstream_unavailable");
    expect(engine.health()[0]).toMatchObject({ healthy: false, error: expect.stringContaining("warming up") });
    up.failWith = undefined;
    expect((await engine.loadModel("u/m1")).loaded).toBe(true);
  });

  it("serves configured models of an upstream that is down at start once it comes up, and refuses unknown ids", async () => {
    const up = await upstream();
    await up.stop();
    const engine = await engineOver([{ name: "u", baseURL: up.baseURL, models: ["m1"], healthCheckSeconds: 1 }]);
    expect(engine.listModels().map((m) => m.id)).toEqual(["u/m1"]);
    expect(engine.health()[0]!.healthy).toBe(false);
    await up.restart();
    await expect.poll(() => engine.health()[0]!.healthy, { timeout: 3000 }).toBe(true);
    expect((await engine.chat(chat("u/m1", "hi"))).text).toBe("up says: hi");
    expect(() => engine.modelState("u/nope")).toThrow(/does not exist/);
  });
});
