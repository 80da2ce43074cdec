/**
 * `kill -9` of a process writing `shimmy.db` never corrupts it nor loses a committed row: a writer
 * stops at a chosen step (between transactions, inside one, inside one large enough to spill into
 * the WAL) and is killed there; the next open finds `integrity_check` clean, every committed row,
 * and none of the uncommitted ones.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openStateDb } from "../core/src/state/state-db.js";
import { SqliteResponseStore } from "../core/src/state/responses-repo.js";

const WRITER = path.join(import.meta.dirname, "helpers/state-writer.mjs");
let home: string;
beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), "shimmy-kill-"));
});
afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

/** Runs the writer until it pauses at `step`, SIGKILLs it, and returns how many commits it reported. */
async function killAt(file: string, step: string, count: number): Promise<number> {
  const child = spawn(process.execPath, [WRITER, file, step, String(count)], { stdio: ["ignore", "pipe", "inherit"] });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once("exit", (_code, signal) => resolve(signal)));
  let committed = 0;
  for await (const line of readline.createInterface({ input: child.stdout! })) {
    if (line.startsWith("committed ")) committed = Number(line.slice("committed ".length));
    if (line === "paused") break;
  }
  child.kill("SIGKILL");
  expect(await exited).toBe("SIGKILL");
  return committed;
}

describe.each(["after-commits", "mid-transaction", "mid-large-transaction"])("a writer killed -9 %s", (step) => {
  it("leaves a clean database holding exactly the committed rows", async () => {
    const file = path.join(home, "shimmy.db");
    const committed = await killAt(file, step, 25);
    expect(committed).toBe(25);
    if (step === "mid-large-transaction") expect(fs.statSync(`${file}-wal`).size).toBeGreaterThan(1 << 20);
    const state = openStateDb({ file });
    try {
      expect(state.db.pragma("integrity_check", { simple: true })).toBe("ok");
      expect(state.db.pragma("foreign_key_check")).toEqual([]);
      const ids = (state.db.prepare("SELECT id FROM responses ORDER BY id").all() as { id: string }[]).map((r) => r.id);
      expect(ids).toEqual(Array.from({ length: 25 }, (_, i) => `resp_${i}`).sort());
      const store = new SqliteResponseStore(state.db);
      expect(store.chainItems("resp_24", 0)!.map((item) => item.id)).toEqual(["in_resp_24", "out_resp_24"]);
    } finally {
      state.dispose();
    }
    // The recovered database takes writes again, from another process.
    expect(await killAt(file, "after-commits", 1)).toBe(1);
  });
});
