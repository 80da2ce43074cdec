import { afterAll, describe, expect, it } from "vitest";
import { SqliteConversationStore } from "./conversations-repo.js";
import { SqliteResponseStore, type NewStoredResponse } from "./responses-repo.js";
import { openStateDb } from "./state-db.js";

const state = openStateDb({ file: ":memory:" });
afterAll(() => state.dispose());
const responses = new SqliteResponseStore(state.db);
const conversations = new SqliteConversationStore(state.db);

const stored = (id: string, previous: string | null, expiresAt: number | null = null): NewStoredResponse => ({
  id, createdAt: 100, expiresAt, model: "m", status: "completed", previousResponseId: previous, conversationId: null, body: { id },
  input: [{ id: `in_${id}`, type: "message" }], output: [{ id: `out_${id}`, type: "message" }],
});

describe("SqliteResponseStore", () => {
  it("returns a chain's items oldest first, input before output", () => {
    responses.save(stored("r1", null));
    responses.save(stored("r2", "r1"));
    responses.save(stored("r3", "r2"));
    expect(responses.chainItems("r3", 0)!.map((item) => item.id)).toEqual(["in_r1", "out_r1", "in_r2", "out_r2", "in_r3", "out_r3"]);
    expect(responses.chainItems("r9", 0)).toBeNull();
  });

  it("hides expired responses and sweeps them with their items", () => {
    responses.save(stored("old", null, 200));
    expect(responses.get("old", 199)).toEqual({ id: "old" });
    expect(responses.get("old", 200)).toBeNull();
    expect(responses.chainItems("old", 200)).toBeNull();
    expect(responses.deleteExpired(200)).toBe(1);
    expect(state.db.prepare("SELECT COUNT(*) AS n FROM response_items WHERE response_id = 'old'").get()).toEqual({ n: 0 });
  });

  it("deletes a response with its items", () => {
    responses.save(stored("gone", null));
    expect(responses.delete("gone")).toBe(true);
    expect(responses.delete("gone")).toBe(false);
    expect(state.db.prepare("SELECT COUNT(*) AS n FROM response_items WHERE response_id = 'gone'").get()).toEqual({ n: 0 });
  });
});

describe("SqliteConversationStore", () => {
  it("creates, appends, pages, reads and deletes items, and deletes the conversation", () => {
    conversations.create({ id: "c1", createdAt: 1, metadata: { topic: "x" } }, [{ id: "i0" }, { id: "i1" }]);
    expect(conversations.append("c1", [{ id: "i2" }, { id: "i3" }], 2)).toBe(true);
    expect(conversations.append("c0", [{ id: "i9" }], 2)).toBe(false);
    expect(conversations.get("c1")).toEqual({ id: "c1", createdAt: 1, metadata: { topic: "x" } });
    expect(conversations.setMetadata("c1", { topic: "y" })).toBe(true);
    expect(conversations.get("c1")!.metadata).toEqual({ topic: "y" });
    expect(conversations.items("c1", { limit: 2, order: "asc", after: "i0" })).toEqual({ data: [{ id: "i1" }, { id: "i2" }], hasMore: true });
    expect(conversations.items("c1", { limit: 10, order: "desc", before: "i1" })).toEqual({ data: [{ id: "i3" }, { id: "i2" }], hasMore: false });
    expect(conversations.items("c1", { limit: 10, order: "asc", after: "nope" })).toBeNull();
    expect(conversations.getItem("c1", "i2")).toEqual({ id: "i2" });
    expect(conversations.deleteItem("c1", "i2")).toBe(true);
    expect(conversations.allItems("c1")!.map((item) => item.id)).toEqual(["i0", "i1", "i3"]);
    expect(conversations.delete("c1")).toBe(true);
    expect(conversations.allItems("c1")).toBeNull();
    expect(state.db.prepare("SELECT COUNT(*) AS n FROM conversation_items").get()).toEqual({ n: 0 });
  });

  it("lists conversations newest first with their item counts", () => {
    conversations.create({ id: "c_old", createdAt: 10, metadata: {} }, [{ id: "a" }]);
    conversations.create({ id: "c_new", createdAt: 20, metadata: { k: "v" } }, []);
    expect(conversations.list(10)).toEqual([
      { id: "c_new", createdAt: 20, metadata: { k: "v" }, itemCount: 0 },
      { id: "c_old", createdAt: 10, metadata: {}, itemCount: 1 },
    ]);
    expect(conversations.list(1).map((c) => c.id)).toEqual(["c_new"]);
  });
});
