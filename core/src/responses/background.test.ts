/**
 * `background: true` in process: the real app over a slow {@link FakeEngine}, so a run is still
 * going when the test reads or cancels it, and a state database in a temp folder, so a "restart"
 * (a new app over the same file) finds what the last one left.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeEngine } from "../engine/fake-engine.js";
import type { ChatRequest } from "../engine/types.js";
import { startTestApp, type TestApp } from "../http/test-app.fixture.js";
import { SqliteResponseStore } from "../state/responses-repo.js";
import { openStateDb, type StateDb } from "../state/state-db.js";
import { BackgroundRuns } from "./background-runs.js";
import { newOutputIds, newResponseId } from "./response-object.js";
import { responsesApi } from "./routes.js";

const LONG = Array.from({ length: 400 }, (_, i) => `w${i}`).join(" ");
// Slow enough that a long answer is still running when the test acts; short answers end fast.
const engine = new FakeEngine({ tokenDelayMs: 10, answer: (request) => ({ text: JSON.stringify((request as ChatRequest).turns).includes("long please") ? LONG : "short answer" }) });
let dir: string;
let state: StateDb;
let app: TestApp;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "shimmy-background-"));
  state = openStateDb({ file: path.join(dir, "shimmy.db") });
  app = await startTestApp({ engine, state });
});
afterAll(async () => {
  await app.close();
  state.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

const create = (extra: Record<string, unknown>) => app.request("POST", "/v1/responses", { model: "fake-chat", background: true, ...extra });

/** GETs the response until `done` says so; at most 500 reads. */
async function pollUntil(id: string, done: (body: { status: string }) => boolean) {
  for (let i = 0; i < 500; i++) {
    const body = (await app.request("GET", `/v1/responses/${id}`)).json();
    if (done(body)) return body;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`response ${id} never reached the expected state`);
}

describe("background responses", () => {
  it("answers queued at once, then shows in_progress and stores the completed response", async () => {
    const { status, json } = await create({ input: "hello", metadata: { run: "1" } });
    expect(status).toBe(200);
    const queued = json();
    expect(queued).toMatchObject({ object: "response", status: "queued", background: true, output: [], usage: null, metadata: { run: "1" } });
    const done = await pollUntil(queued.id, (body) => body.status === "completed");
    expect(done).toMatchObject({ id: queued.id, background: true, output: [{ type: "message", content: [{ text: "short answer" }] }], usage: { output_tokens: 2 } });
    const items = (await app.request("GET", `/v1/responses/${queued.id}/input_items`)).json();
    expect(items.data).toMatchObject([{ type: "message", role: "user", content: [{ type: "input_text", text: "hello" }] }]);
  });

  it("shows the output so far while it runs, and cancel stops it with what it had", async () => {
    const id = (await create({ input: "long please" })).json().id;
    const running = await pollUntil(id, (body) => body.status === "in_progress" && JSON.stringify(body).includes("w3 "));
    expect(running.output[0]).toMatchObject({ type: "message", status: "in_progress" });
    const cancel = await app.request("POST", `/v1/responses/${id}/cancel`);
    expect(cancel.status).toBe(200);
    expect(cancel.json()).toMatchObject({ id, status: "cancelled", background: true });
    const stored = (await app.request("GET", `/v1/responses/${id}`)).json();
    expect(stored.status).toBe("cancelled");
    expect(stored.output[0].content[0].text.startsWith("w0 w1 w2 w3")).toBe(true);
    expect(stored.output[0].content[0].text.length).toBeLessThan(LONG.length);
    // Cancelling again returns it as it is, as OpenAI does.
    expect((await app.request("POST", `/v1/responses/${id}/cancel`)).json().status).toBe("cancelled");
  });

  it("refuses to cancel a finished background response, a foreground one and an unknown id", async () => {
    const finished = (await create({ input: "hi" })).json().id;
    await pollUntil(finished, (body) => body.status === "completed");
    const late = await app.request("POST", `/v1/responses/${finished}/cancel`);
    expect(late.status).toBe(400);
    expect(late.json().error).toMatchObject({ code: "response_not_cancellable", message: expect.stringMatching(/already finished.*completed/) });
    const foreground = (await app.request("POST", "/v1/responses", { model: "fake-chat", input: "hi" })).json().id;
    const notBackground = await app.request("POST", `/v1/responses/${foreground}/cancel`);
    expect(notBackground.status).toBe(400);
    expect(notBackground.json().error.message).toMatch(/only background responses can be cancelled/);
    expect((await app.request("POST", "/v1/responses/resp_nope/cancel")).status).toBe(404);
  });

  it("refuses background with store false, and with stream", async () => {
    const unstored = await create({ input: "hi", store: false });
    expect(unstored.status).toBe(400);
    expect(unstored.json().error).toMatchObject({ code: "invalid_parameter", param: "background", message: expect.stringMatching(/background requires store/) });
    const streamed = await create({ input: "hi", stream: true });
    expect(streamed.status).toBe(400);
    expect(streamed.json().error.param).toBe("stream");
  });

  it("runs detached: the client leaving does not stop it", async () => {
    const controller = new AbortController();
    const response = await fetch(`${app.base}/v1/responses`, {
      method: "POST", headers: { "content-type": "application/json" }, signal: controller.signal,
      body: JSON.stringify({ model: "fake-chat", background: true, input: "hello again" }),
    });
    const { id } = (await response.json()) as { id: string };
    controller.abort();
    expect((await pollUntil(id, (body) => body.status !== "queued" && body.status !== "in_progress")).status).toBe("completed");
  });

  it("deleting a running background response stops it and stores nothing", async () => {
    const id = (await create({ input: "long please" })).json().id;
    await pollUntil(id, (body) => body.status === "in_progress");
    expect((await app.request("DELETE", `/v1/responses/${id}`)).json()).toEqual({ id, object: "response", deleted: true });
    expect((await app.request("GET", `/v1/responses/${id}`)).status).toBe(404);
  });

  it("marks a run the server stopped as failed with why, and one a killed server left in_progress at the next start", async () => {
    const id = (await create({ input: "long please" })).json().id;
    await pollUntil(id, (body) => body.status === "in_progress");
    // A graceful stop aborts the run and keeps it failed, saying why.
    await app.close();
    app = await startTestApp({ engine, state });
    const stopped = (await app.request("GET", `/v1/responses/${id}`)).json();
    expect(stopped).toMatchObject({ status: "failed", error: { code: "server_stopped", message: expect.stringMatching(/stopped before this background response finished/) } });
    // A kill -9 leaves the row in_progress; the next start marks it failed.
    const responses = new SqliteResponseStore(state.db);
    const killed = newResponseId();
    responses.save({ id: killed, createdAt: 1, expiresAt: null, model: "fake-chat", status: "in_progress", previousResponseId: null, conversationId: null, body: { id: killed, status: "in_progress", background: true, error: null }, input: [], output: [] });
    const api = responsesApi({ engine, state });
    await api.dispose();
    expect(responses.get(killed, 2)).toMatchObject({ id: killed, status: "failed", error: { code: "server_stopped" } });
  });
});

describe("BackgroundRuns", () => {
  it("refuses a run past maxRuns with a 503 that says to retry", async () => {
    const runs = new BackgroundRuns({ maxRuns: 1, onError: (err) => { throw err; } });
    const kept: string[] = [];
    const spec = () => ({
      head: { id: newResponseId(), createdAt: 1, request: { model: "m" }, conversationId: null },
      ids: newOutputIds(),
      check: () => undefined,
      keep: (response: { status: string }) => void kept.push(response.status),
      generate: (signal: AbortSignal) => new Promise<never>((_, reject) => signal.addEventListener("abort", () => reject(new Error("aborted")))),
    });
    await runs.start(spec());
    await expect(runs.start(spec())).rejects.toMatchObject({ code: "server_overloaded", status: 503, headers: { "Retry-After": "1" } });
    await runs.dispose();
    expect(runs.size).toBe(0);
    expect(kept).toEqual(["queued", "in_progress", "failed"]);
  });
});
