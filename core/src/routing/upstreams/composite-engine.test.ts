import { afterEach, describe, expect, it } from "vitest";
import { normalizeUpstreams } from "../../config/upstreams.js";
import { FakeEngine } from "../../engine/fake-engine.js";
import { startTestApp, type TestApp } from "../../http/test-app.fixture.js";
import { createLogger } from "../../logger.js";
import { CompositeEngine } from "./composite-engine.js";
import { startOpenAIUpstream, type OpenAIUpstream } from "./openai-upstream.fixture.js";
import { UpstreamEngine } from "./upstream-engine.js";

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

/** The real app over the fake local engine and one upstream `gpu1` (a fixture server) serving `m1`. */
async function setup(): Promise<{ app: TestApp; up: OpenAIUpstream; local: FakeEngine }> {
  const up = await startOpenAIUpstream({ models: ["m1"], name: "gpu1" });
  cleanup.push(() => up.stop());
  const upstreams = new UpstreamEngine({ upstreams: normalizeUpstreams([{ name: "gpu1", baseURL: up.baseURL, healthCheckSeconds: 60 }]), logger: createLogger("silent") });
  await upstreams.start();
  const local = new FakeEngine();
  const engine = new CompositeEngine(local, upstreams);
  cleanup.push(() => engine.dispose());
  const app = await startTestApp({ engine, upstreamHealth: { statuses: () => engine.upstreamHealth(), problems: () => engine.upstreamProblems() } });
  cleanup.push(() => app.close());
  return { app, up, local };
}

describe("CompositeEngine behind the real routes", () => {
  it("lists local and upstream models, each with its owner, and shows upstream health in /api/models and /health", async () => {
    const { app } = await setup();
    const models = (await app.request("GET", "/v1/models")).json().data.map((m: { id: string; owned_by: string }) => [m.id, m.owned_by]);
    expect(models).toEqual([["fake-chat", "shimmy"], ["fake-embed", "shimmy"], ["gpu1/m1", "gpu1"]]);
    expect((await app.request("GET", "/v1/models/gpu1/m1")).status).toBe(200);
    const admin = (await app.request("GET", "/api/models")).json().models.find((m: { id: string }) => m.id === "gpu1/m1");
    expect(admin).toMatchObject({ source: "upstream", loaded: true, memory_bytes: null, upstreams: [{ name: "gpu1", healthy: true, outstanding: 0, maxConcurrency: 4 }] });
    expect((await app.request("GET", "/health")).json()).toMatchObject({ status: "ok", upstreams: [{ name: "gpu1", healthy: true }] });
  });

  it("sends each id where it lives: upstream ids upstream, local ids to the local engine", async () => {
    const { app, up, local } = await setup();
    const remote = await app.request("POST", "/v1/chat/completions", { model: "gpu1/m1", messages: [{ role: "user", content: "hi" }] });
    expect(remote.json()).toMatchObject({ model: "gpu1/m1", choices: [{ message: { content: "gpu1 says: hi" } }], usage: { prompt_tokens: 7, completion_tokens: 3 } });
    const streamed = await app.request("POST", "/v1/chat/completions", { model: "gpu1/m1", messages: [{ role: "user", content: "a b" }], stream: true });
    expect(streamed.text.match(/"content":"[^"]+"/g)).toEqual(['"content":"gpu1 "', '"content":"says: "', '"content":"a "', '"content":"b"']);
    const own = await app.request("POST", "/v1/chat/completions", { model: "fake-chat", messages: [{ role: "user", content: "hi" }] });
    expect(own.json().choices[0].message.content).toBe("You said: hi");
    expect(up.requests.filter((r) => r.path === "/chat/completions")).toHaveLength(2);
    expect(local.requests).toHaveLength(1);
    const embedded = await app.request("POST", "/v1/embeddings", { model: "gpu1/m1", input: "abcd", encoding_format: "float" });
    expect(embedded.json()).toMatchObject({ model: "gpu1/m1", data: [{ embedding: [4, 0, 1] }] });
  });

  it("answers load with a health check and unload with false for an upstream model, and 502 upstream_unavailable once it is down", async () => {
    const { app, up } = await setup();
    expect((await app.request("POST", "/api/models/load", { model: "gpu1/m1" })).json()).toMatchObject({ model: "gpu1/m1", loaded: true, memory_bytes: null });
    expect((await app.request("POST", "/api/models/unload", { model: "gpu1/m1" })).json()).toEqual({ model: "gpu1/m1", loaded: false });
    await up.stop();
    const down = await app.request("POST", "/v1/chat/completions", { model: "gpu1/m1", messages: [{ role: "user", content: "hi" }] });
    expect(down.status).toBe(502);
    expect(down.json().error).toMatchObject({ code: "upstream_unavailable", type: "server_error", message: expect.stringContaining('"gpu1" is unavailable: ECONNREFUSED') });
    const health = (await app.request("GET", "/health")).json();
    expect(health).toMatchObject({ status: "degraded", upstreams: [{ name: "gpu1", healthy: false }] });
    expect(health.reasons).toEqual([expect.stringContaining("upstream gpu1 fails its health check")]);
    expect((await app.request("POST", "/api/models/load", { model: "gpu1/m1" })).status).toBe(502);
  });
});
