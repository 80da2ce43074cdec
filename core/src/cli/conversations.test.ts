/** `shimmy conversations` against a database in a temp SHIMMY_HOME, as the server leaves it. */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SqliteConversationStore } from "../state/conversations-repo.js";
import { openStateDb, stateDbPath } from "../state/state-db.js";
import { conversationsCommand, conversationsUsage } from "./conversations.js";

const home = fs.mkdtempSync(path.join(os.tmpdir(), "shimmy-conv-cli-"));
const emptyHome = fs.mkdtempSync(path.join(os.tmpdir(), "shimmy-conv-cli-empty-"));
afterAll(() => {
  for (const dir of [home, emptyHome]) fs.rmSync(dir, { recursive: true, force: true });
});

beforeAll(() => {
  // Left open while the command runs, as a running server holds it.
  const state = openStateDb({ file: stateDbPath(home) });
  const store = new SqliteConversationStore(state.db);
  store.create({ id: "conv_a", createdAt: 1_767_225_600, metadata: { topic: "weather" } }, [
    { id: "msg_1", type: "message", role: "user", content: [{ type: "input_text", text: "Weather in\nOslo?" }] },
    { id: "fc_1", type: "function_call", call_id: "call_1", name: "get_weather", arguments: '{"city":"Oslo"}' },
    { id: "fco_1", type: "function_call_output", call_id: "call_1", output: "sunny" },
  ]);
  store.create({ id: "conv_b", createdAt: 1_767_312_000, metadata: {} }, []);
  afterAll(() => state.dispose());
});

async function run(argv: string[], shimmyHome = home) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await conversationsCommand(argv, { stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => err.push(t) }, env: { SHIMMY_HOME: shimmyHome } });
  return { code, stdout: out.join(""), stderr: err.join("") };
}

describe("shimmy conversations", () => {
  it("lists conversations newest first, as a table and as JSON", async () => {
    expect(await run(["list"])).toEqual({
      code: 0,
      stderr: "",
      stdout: "ID      CREATED               ITEMS  METADATA\nconv_b  2026-01-02 00:00 UTC  0      -\nconv_a  2026-01-01 00:00 UTC  3      {\"topic\":\"weather\"}\n",
    });
    const json = JSON.parse((await run(["list", "--json", "--limit", "1"])).stdout);
    expect(json).toEqual([{ id: "conv_b", object: "conversation", created_at: 1_767_312_000, metadata: {}, item_count: 0 }]);
  });

  it("shows a conversation's items, one line each", async () => {
    const { code, stdout } = await run(["show", "conv_a"]);
    expect(code).toBe(0);
    expect(stdout).toBe(
      'conv_a  created 2026-01-01 00:00 UTC  metadata {"topic":"weather"}\n\n' +
        "ITEM   KIND                  TEXT\nmsg_1  user                  Weather in Oslo?\nfc_1   function_call         get_weather({\"city\":\"Oslo\"})\nfco_1  function_call_output  sunny\n",
    );
    const json = JSON.parse((await run(["show", "conv_a", "--json"])).stdout);
    expect(json).toMatchObject({ id: "conv_a", object: "conversation", items: [{ id: "msg_1" }, { id: "fc_1" }, { id: "fco_1" }] });
  });

  it("removes a conversation, and says so when the id is unknown", async () => {
    expect(await run(["rm", "conv_b", "--json"])).toEqual({ code: 0, stderr: "", stdout: '{"id":"conv_b","object":"conversation.deleted","deleted":true}\n' });
    for (const argv of [["rm", "conv_b"], ["show", "conv_b"]]) {
      const { code, stderr } = await run(argv);
      expect({ code, stderr }).toEqual({ code: 1, stderr: "shimmy conversations: no conversation has the id conv_b (shimmy conversations list shows them)\n" });
    }
  });

  it("finds nothing, and creates no database, where nothing was ever stored", async () => {
    expect(await run(["list"], emptyHome)).toEqual({ code: 0, stdout: "No conversations.\n", stderr: "" });
    expect((await run(["list", "--json"], emptyHome)).stdout).toBe("[]\n");
    expect((await run(["show", "conv_x"], emptyHome)).code).toBe(1);
    expect(fs.existsSync(stateDbPath(emptyHome))).toBe(false);
  });

  it("prints its help, and refuses usage mistakes with exit 2", async () => {
    expect(await run(["--help"])).toEqual({ code: 0, stdout: conversationsUsage(), stderr: "" });
    for (const argv of [[], ["frob"], ["show"], ["rm", "a", "b"], ["list", "x"], ["list", "--limit", "0"], ["list", "--bogus"]]) {
      expect((await run(argv)).code).toBe(2);
    }
  });
});
