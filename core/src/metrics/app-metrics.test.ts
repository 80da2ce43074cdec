/**
 * `GET /metrics` in process: the real app over a {@link FakeEngine}; a request, then a scrape shows
 * the counters moved. test/fim.e2e.test.ts scrapes a real server after real generations.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeEngine } from "../engine/fake-engine.js";
import { startTestApp, type TestApp } from "../http/test-app.fixture.js";
import { createAppMetrics } from "./app-metrics.js";
import { publishModelEvent, publishPluginCall } from "./channels.js";

let app: TestApp;
const engine = new FakeEngine();

beforeAll(async () => {
  app = await startTestApp({ engine });
});

afterAll(async () => {
  await app.close();
  await engine.dispose();
});

/** The value of the sample `name{labels}` in a scrape, or undefined when it is absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split("\n")) {
    const match = /^([a-z_:]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...(match[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) return Number(match[3]);
  }
  return undefined;
}

const scrape = async (target: TestApp = app) => {
  const answer = await target.request("GET", "/metrics");
  expect(answer.status).toBe(200);
  return answer.text;
};

describe("GET /metrics", () => {
  it("is Prometheus' text format", async () => {
    const answer = await app.request("GET", "/metrics");
    expect(answer.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(answer.text).toMatch(/^# HELP shimmy_http_requests_total /m);
    expect(answer.text).toMatch(/^# TYPE shimmy_time_to_first_token_seconds histogram$/m);
  });

  it("counts requests by route template, method and status", async () => {
    const labels = { method: "GET", route: "/v1/models/*id", status: "404" };
    const before = sample(await scrape(), "shimmy_http_requests_total", labels) ?? 0;
    expect((await app.request("GET", "/v1/models/nope")).status).toBe(404);
    expect((await app.request("GET", "/v1/models/other")).status).toBe(404);
    const text = await scrape();
    expect(sample(text, "shimmy_http_requests_total", labels)).toBe(before + 2);
    expect(sample(text, "shimmy_http_request_duration_seconds_count", { method: "GET", route: "/v1/models/*id" })).toBeGreaterThanOrEqual(2);
    // A path no route serves is one label, whatever the path.
    await app.request("GET", "/no/such/path");
    expect(sample(await scrape(), "shimmy_http_requests_total", { route: "other", status: "404" })).toBeGreaterThanOrEqual(1);
  });

  it("counts tokens, time to first token and time per token by model, and reads the slots at each scrape", async () => {
    const answer = await app.request("POST", "/v1/completions", { model: "fake-chat", prompt: "one two three", max_tokens: 4, stream: true });
    expect(answer.status).toBe(200);
    const text = await scrape();
    const model = { model: "fake-chat" };
    expect(sample(text, "shimmy_prompt_tokens_total", model)).toBe(3);
    expect(sample(text, "shimmy_completion_tokens_total", model)).toBe(4);
    expect(sample(text, "shimmy_time_to_first_token_seconds_count", model)).toBe(1);
    expect(sample(text, "shimmy_time_per_output_token_seconds_count", model)).toBe(1);
    expect(sample(text, "shimmy_slots", model)).toBe(1);
    expect(sample(text, "shimmy_slots_busy", model)).toBe(0);
    expect(sample(text, "shimmy_queue_depth", model)).toBe(0);
  });

  it("shows a slot busy while a generation runs", async () => {
    const slow = new FakeEngine({ tokenDelayMs: 200 });
    const other = await startTestApp({ engine: slow });
    try {
      const running = other.request("POST", "/v1/completions", { model: "fake-chat", prompt: "a b c d e", max_tokens: 5 });
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(sample(await scrape(other), "shimmy_slots_busy", { model: "fake-chat" })).toBe(1);
      await running;
      expect(sample(await scrape(other), "shimmy_slots_busy", { model: "fake-chat" })).toBe(0);
    } finally {
      await other.close();
    }
  });

  it("counts model events and plugin calls from their channels, until disposed", async () => {
    const metrics = createAppMetrics({ engine: new FakeEngine() });
    publishModelEvent({ type: "load", id: "m1", ms: 5, memoryBytes: 1 });
    publishModelEvent({ type: "unload", id: "m1", reason: "expired" });
    publishModelEvent({ type: "load_failed", id: "m2", reason: "refused" });
    publishPluginCall({ plugin: "calc", outcome: "ok", ms: 12 });
    publishPluginCall({ plugin: "calc", outcome: "timeout", ms: 5000 });
    const text = await metrics.registry.metrics();
    expect(sample(text, "shimmy_model_loads_total", { model: "m1" })).toBe(1);
    expect(sample(text, "shimmy_model_unloads_total", { model: "m1", reason: "expired" })).toBe(1);
    expect(sample(text, "shimmy_model_load_failures_total", { model: "m2", reason: "refused" })).toBe(1);
    expect(sample(text, "shimmy_plugin_call_duration_seconds_count", { plugin: "calc", outcome: "ok" })).toBe(1);
    expect(sample(text, "shimmy_plugin_call_duration_seconds_bucket", { plugin: "calc", outcome: "timeout", le: "2.5" })).toBe(0);
    expect(sample(text, "shimmy_plugin_call_duration_seconds_bucket", { plugin: "calc", outcome: "timeout", le: "5" })).toBe(1);
    metrics.dispose();
    publishPluginCall({ plugin: "calc", outcome: "ok", ms: 1 });
    publishModelEvent({ type: "load", id: "m1", ms: 5, memoryBytes: 1 });
    const after = await metrics.registry.metrics();
    expect(sample(after, "shimmy_plugin_call_duration_seconds_count", { plugin: "calc", outcome: "ok" })).toBe(1);
    expect(sample(after, "shimmy_model_loads_total", { model: "m1" })).toBe(1);
    // The app's own metrics, subscribed all along, saw every call.
    expect(sample(await scrape(), "shimmy_plugin_call_duration_seconds_count", { plugin: "calc", outcome: "ok" })).toBe(2);
  });
});

describe("GET /metrics with an API key", () => {
  it("needs the key like every route", async () => {
    const keyed = await startTestApp({ engine, apiKey: "secret" });
    try {
      const refused = await keyed.request("GET", "/metrics");
      expect(refused.status).toBe(401);
      expect(refused.json().error.code).toBe("invalid_api_key");
      const answer = await keyed.request("GET", "/metrics", undefined, { authorization: "Bearer secret" });
      expect(answer.status).toBe(200);
      // The refused scrape itself was counted.
      expect(sample(answer.text, "shimmy_http_requests_total", { method: "GET", route: "other", status: "401" })).toBe(1);
    } finally {
      await keyed.close();
    }
  });
});
