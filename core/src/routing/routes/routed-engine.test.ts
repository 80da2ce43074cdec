import { afterEach, describe, expect, it } from "vitest";
import { FakeEngine, fakeModel } from "../../engine/fake-engine.js";
import type { ChatRequest, Engine, GenerationResult } from "../../engine/types.js";
import { retryLater, ShimmyError } from "../../errors.js";
import { startTestApp, type TestApp } from "../../http/test-app.fixture.js";
import { normaliseRoute, type RoutesConfig } from "./route-config.js";
import type { RouterCall } from "./route-choice.js";
import { withRouteReport, type RouteReport } from "./route-report.js";
import { RoutedEngine } from "./routed-engine.js";

const warnings: object[] = [];
const logger = { warn: (obj: object) => void warnings.push(obj) };
const signal = new AbortController().signal;
const chat = (model: string, text = "hello", extra: Partial<ChatRequest> = {}): ChatRequest => ({ model, turns: [{ role: "user", text }], sampling: { stop: [] }, signal, ...extra });

function routed(inner: Engine, routes: RoutesConfig = {}, callRouter?: RouterCall): RoutedEngine {
  return new RoutedEngine({ inner, routes, logger, ...(callRouter ? { callRouter } : {}) });
}

/** Runs `work` as an HTTP request would, and returns its result with the report it left. */
async function reported<T>(work: () => Promise<T>, body?: unknown): Promise<{ result: T; report: RouteReport }> {
  const report: RouteReport = { body };
  const result = await withRouteReport(report, work);
  return { result, report };
}

const two = () => new FakeEngine({ models: [fakeModel("small"), fakeModel("big"), fakeModel("embed", ["embedding"])] });

afterEach(() => void (warnings.length = 0));

describe("RoutedEngine routes", () => {
  it("lists configured routes as models owned by shimmy-route, after the engine's own; an unconfigured auto answers but is not listed", async () => {
    const engine = routed(two(), { coder: normaliseRoute({ models: ["big", "small"] }) });
    const models = engine.listModels();
    expect(models.map((m) => m.id)).toEqual(["small", "big", "embed", "coder"]);
    expect((await engine.chat(chat("auto"))).model).toBe("small");
    expect(routed(two(), { auto: normaliseRoute({ models: ["big"] }) }).listModels().map((m) => m.id)).toEqual(["small", "big", "embed", "auto"]);
    expect(models.find((m) => m.id === "coder")).toMatchObject({ ownedBy: "shimmy-route", source: "route", capabilities: ["chat", "completion"] });
  });

  it("serves unconfigured auto with the first served chat model, skipping embedding models", async () => {
    const { result, report } = await reported(() => routed(two()).chat(chat("auto")));
    expect(result.model).toBe("small");
    expect(report.decision).toEqual({ route: "auto", model: "small", reason: "first candidate (no router)", fallbacks: [] });
  });

  it("passes a plain model id to the inner engine untouched", async () => {
    const { result, report } = await reported(() => routed(two()).chat(chat("big")));
    expect(result.model).toBeUndefined();
    expect(report.decision).toBeUndefined();
  });

  it("serves the router's pick and hands it the request's features and the candidates' traits", async () => {
    let seen: unknown;
    const call: RouterCall = async (router, input) => {
      seen = { router, input };
      return { model: "big", reason: "long" };
    };
    const engine = routed(two(), { r: normaliseRoute({ models: ["small", { model: "big", tags: ["code"] }], router: "rules-router/rules" }) }, call);
    const { result, report } = await reported(() => engine.chat(chat("r", "write code", { tools: [{ name: "f", parameters: {} }] })), { metadata: { team: "a" } });
    expect(result.model).toBe("big");
    expect(report.decision).toMatchObject({ model: "big", reason: "long", router: "rules-router/rules" });
    expect(seen).toMatchObject({
      router: "rules-router/rules",
      input: {
        route: "r",
        request: { kind: "chat", last_user_text: "write code", tokens: 3, tools: true, json: false, images: false, metadata: { team: "a" } },
        candidates: [{ id: "small", tags: [], loaded: false, available: true, context_length: 2048 }, { id: "big", tags: ["code"], size_bytes: 1_000_000 }],
      },
    });
  });

  it.each([
    ["names a non-candidate", async () => ({ model: "nope" })],
    ["answers no object", async () => "big"],
    ["throws (a trap, its deadline)", async () => Promise.reject(new Error("wasm trap: unreachable"))],
  ])("falls back to the first candidate and logs when the router %s", async (_what, call) => {
    const engine = routed(two(), { r: normaliseRoute({ models: ["small", "big"], router: "p/r" }) }, call as RouterCall);
    const { result, report } = await reported(() => engine.chat(chat("r")));
    expect(result.model).toBe("small");
    expect(report.decision?.reason).toMatch(/^router failed, first candidate serves: /);
    expect(warnings).toEqual([expect.objectContaining({ event: "router_failed", route: "r", router: "p/r" })]);
  });
});

describe("RoutedEngine fallback", () => {
  it("falls back to the next candidate when the first is missing, and records it", async () => {
    const engine = routed(two(), { r: normaliseRoute({ models: ["gone", "big"] }) });
    const { result, report } = await reported(() => engine.chat(chat("r")));
    expect(result).toMatchObject({ model: "big", text: "You said: hello" });
    expect(report.decision).toMatchObject({ model: "big", fallbacks: [{ model: "gone", failure: "load_failed", error: "model_not_found" }] });
  });

  it("falls back from a model refused after three crashes as from one whose load failed", async () => {
    const refused = new ShimmyError("model_failed", "Model 'small' crashed three times in a row");
    const inner = new FakeEngine({ models: [fakeModel("small"), fakeModel("big")], fail: (r) => ("model" in r && r.model === "small" ? refused : undefined) });
    const { result, report } = await reported(() => routed(inner, { r: normaliseRoute({ models: ["small", "big"], fallback: { retry_on: ["load_failed"] } }) }).chat(chat("r")));
    expect(result.model).toBe("big");
    expect(report.decision?.fallbacks).toEqual([{ model: "small", failure: "load_failed", error: "model_failed" }]);
  });

  it("falls back when the first candidate's queue is full", async () => {
    const inner = new FakeEngine({ models: [fakeModel("small"), fakeModel("big")], fail: (r) => ("model" in r && r.model === "small" ? retryLater("full") : undefined) });
    const { result, report } = await reported(() => routed(inner, { r: normaliseRoute({ models: ["small", "big"] }) }).chat(chat("r")));
    expect(result.model).toBe("big");
    expect(report.decision?.fallbacks).toEqual([{ model: "small", failure: "queue_full", error: "server_overloaded" }]);
  });

  it("does not fall back on a failure retry_on leaves out", async () => {
    const inner = new FakeEngine({ models: [fakeModel("small"), fakeModel("big")], fail: (r) => ("model" in r && r.model === "small" ? retryLater("full") : undefined) });
    const engine = routed(inner, { r: normaliseRoute({ models: ["small", "big"], fallback: { retry_on: ["load_failed"] } }) });
    await expect(reported(() => engine.chat(chat("r")))).rejects.toMatchObject({ code: "server_overloaded" });
  });

  it("never switches after the first token", async () => {
    const inner = two();
    const failing: Engine = Object.assign(Object.create(inner) as Engine, {
      chat: async (request: ChatRequest): Promise<GenerationResult> => {
        if (request.model !== "small") return inner.chat(request);
        request.onText?.("You");
        throw new ShimmyError("internal_error", "broke mid-answer");
      },
    });
    const texts: string[] = [];
    const engine = routed(failing, { r: normaliseRoute({ models: ["small", "big"] }) });
    await expect(reported(() => engine.chat(chat("r", "hello", { onText: (t) => texts.push(t) })))).rejects.toThrow("broke mid-answer");
    expect(texts).toEqual(["You"]);
  });

  it("follows the router's fallback list, and throws the last failure when every candidate fails", async () => {
    const engine = routed(two(), { r: normaliseRoute({ models: ["a", "b", "small"], router: "p/r" }) }, async () => ({ model: "b", fallbacks: ["a"] }));
    const report: RouteReport = {};
    await expect(withRouteReport(report, () => engine.chat(chat("r")))).rejects.toMatchObject({ code: "model_not_found" });
    expect(report.decision).toMatchObject({ model: "a", fallbacks: [{ model: "b", failure: "load_failed" }] });
  });

  it("routes embeddings and sessions too", async () => {
    const engine = routed(two(), { e: normaliseRoute({ models: ["missing", "embed"] }), c: normaliseRoute({ models: ["big"] }) });
    const { result } = await reported(() => engine.embed({ model: "e", inputs: ["x"], signal }));
    expect(result.vectors).toHaveLength(1);
    const session = await engine.chatSession({ model: "c", signal });
    try {
      expect((await session.chat({ turns: [{ role: "user", text: "hi" }], sampling: { stop: [] } })).text).toBe("You said: hi");
    } finally {
      session.release();
    }
  });
});

describe("served model over HTTP", () => {
  let app: TestApp | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it("names the served model in the body, the stream's chunks and x-shimmy-model", async () => {
    app = await startTestApp({ engine: routed(two(), { r: normaliseRoute({ models: ["gone", "big"] }) }) });
    const plain = await app.request("POST", "/v1/chat/completions", { model: "r", messages: [{ role: "user", content: "hi" }] });
    expect(plain.status).toBe(200);
    expect(plain.json().model).toBe("big");
    expect(plain.headers.get("x-shimmy-model")).toBe("big");
    const streamed = await app.request("POST", "/v1/chat/completions", { model: "r", stream: true, messages: [{ role: "user", content: "hi" }] });
    expect(streamed.headers.get("x-shimmy-model")).toBe("big");
    const chunks = streamed.text.split("\n").filter((l) => l.startsWith("data: {")).map((l) => JSON.parse(l.slice(6)) as { model: string });
    expect(chunks.length).toBeGreaterThan(1);
    expect(new Set(chunks.map((c) => c.model))).toEqual(new Set(["big"]));
    const completion = await app.request("POST", "/v1/completions", { model: "r", prompt: "hi" });
    expect([completion.json().model, completion.headers.get("x-shimmy-model")]).toEqual(["big", "big"]);
    const direct = await app.request("POST", "/v1/chat/completions", { model: "small", messages: [{ role: "user", content: "hi" }] });
    expect([direct.json().model, direct.headers.get("x-shimmy-model")]).toEqual(["small", "small"]);
    const models = await app.request("GET", "/v1/models");
    expect(models.json().data).toContainEqual(expect.objectContaining({ id: "r", owned_by: "shimmy-route" }));
    // The admin list reads each model's state: a route whose first candidate is missing has the next one's.
    const admin = await app.request("GET", "/api/models");
    expect(admin.status).toBe(200);
  });
});
