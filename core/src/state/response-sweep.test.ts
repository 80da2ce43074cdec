import { afterAll, describe, expect, it, vi } from "vitest";
import { FakeEngine } from "../engine/fake-engine.js";
import { startTestApp } from "../http/test-app.fixture.js";
import { SqliteConversationStore } from "./conversations-repo.js";
import { startResponseSweep } from "./response-sweep.js";
import { SqliteResponseStore } from "./responses-repo.js";
import { openStateDb } from "./state-db.js";

const state = openStateDb({ file: ":memory:" });
afterAll(() => state.dispose());
const responses = new SqliteResponseStore(state.db);
const conversations = new SqliteConversationStore(state.db);

const save = (id: string, expiresAt: number | null) =>
  responses.save({ id, createdAt: 1, expiresAt, model: "m", status: "completed", previousResponseId: null, conversationId: null, body: { id }, input: [], output: [] });
const count = (table: string) => (state.db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;

describe("startResponseSweep", () => {
  it("deletes expired responses at start and on each tick, never conversations or unexpired responses", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval", "setImmediate"] });
    try {
      let nowMs = 1_000_000;
      save("r_early", 1_000);
      save("r_late", 2_000);
      save("r_kept", null);
      conversations.create({ id: "conv_old", createdAt: 1, metadata: {} }, [{ id: "msg_1" }]);
      const swept: number[] = [];
      const sweep = startResponseSweep({ responses, intervalMs: 60_000, now: () => nowMs, onSwept: (n) => swept.push(n), onError: (err) => { throw err; } });
      await vi.advanceTimersByTimeAsync(0);
      expect(swept).toEqual([1]);
      expect(responses.get("r_late", 1_000)).toEqual({ id: "r_late" });
      nowMs = 3_000_000;
      await vi.advanceTimersByTimeAsync(60_000);
      expect(swept).toEqual([1, 1]);
      expect(count("responses")).toBe(1);
      expect(conversations.allItems("conv_old")).toEqual([{ id: "msg_1" }]);
      // A tick with nothing expired reports nothing; after stop, no tick runs.
      await vi.advanceTimersByTimeAsync(60_000);
      sweep.stop();
      save("r_gone", 10);
      await vi.advanceTimersByTimeAsync(600_000);
      expect(swept).toEqual([1, 1]);
      expect(await sweep.sweep()).toBe(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it("reports a failed sweep and keeps going", async () => {
    const errors: unknown[] = [];
    const failing = { deleteExpired: () => { throw new Error("database is locked"); } };
    const sweep = startResponseSweep({ responses: failing, onError: (err) => errors.push(err) });
    await new Promise((resolve) => setImmediate(resolve));
    sweep.stop();
    expect(errors).toEqual([new Error("database is locked")]);
  });
});

describe("--response-ttl", () => {
  it("sets a stored response's expiry, or none when responses are kept for good", async () => {
    for (const ttl of [60, null]) {
      const app = await startTestApp({ engine: new FakeEngine(), state, responseTtlSeconds: ttl });
      try {
        const response = await fetch(`${app.base}/v1/responses`, {
          method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "fake-chat", input: "hi" }),
        });
        const { id, created_at: createdAt } = (await response.json()) as { id: string; created_at: number };
        const row = state.db.prepare("SELECT expires_at FROM responses WHERE id = ?").get(id);
        expect(row).toEqual({ expires_at: ttl === null ? null : createdAt + ttl });
      } finally {
        await app.close();
      }
    }
  });
});
