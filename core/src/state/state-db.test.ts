import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { StartupError } from "../startup-error.js";
import { backupStateDb } from "../cli/db.js";
import { MIGRATIONS, type Migration } from "./migrations.js";
import { openStateDb, stateDbPath } from "./state-db.js";

let home: string;
beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), "shimmy-state-"));
});
afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

const tables = (db: Database.Database) =>
  (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((r) => r.name);

describe("openStateDb", () => {
  it("creates $SHIMMY_HOME/shimmy.db in WAL mode with every migration applied", () => {
    const state = openStateDb({ file: stateDbPath(path.join(home, "nested")) });
    try {
      expect(state.file).toBe(path.join(home, "nested", "shimmy.db"));
      expect(state.db.pragma("journal_mode", { simple: true })).toBe("wal");
      expect(state.db.pragma("synchronous", { simple: true })).toBe(1);
      expect(state.db.pragma("foreign_keys", { simple: true })).toBe(1);
      expect(state.db.pragma("busy_timeout", { simple: true })).toBe(5000);
      expect(tables(state.db)).toEqual(expect.arrayContaining(["responses", "response_items", "conversations", "conversation_items", "schema_migrations"]));
      const applied = state.db.prepare("SELECT version FROM schema_migrations").all();
      expect(applied).toEqual(MIGRATIONS.map((m) => ({ version: m.version })));
    } finally {
      state.dispose();
    }
  });

  it("waits for the disk on every commit with synchronous full", () => {
    const state = openStateDb({ file: stateDbPath(home), synchronous: "full" });
    expect(state.db.pragma("synchronous", { simple: true })).toBe(2);
    state.dispose();
  });

  it("applies only the migrations a database lacks, each once", () => {
    const file = stateDbPath(home);
    const first: Migration[] = [{ version: 1, name: "one", sql: "CREATE TABLE a (x INTEGER)" }];
    openStateDb({ file, migrations: first }).dispose();
    const second = [...first, { version: 2, name: "two", sql: "CREATE TABLE b (y INTEGER)" }];
    const state = openStateDb({ file, migrations: second });
    expect(tables(state.db)).toEqual(["a", "b", "schema_migrations"]);
    expect(state.db.prepare("SELECT version, name FROM schema_migrations ORDER BY version").all()).toEqual([
      { version: 1, name: "one" },
      { version: 2, name: "two" },
    ]);
    state.dispose();
    // Opening again changes nothing.
    openStateDb({ file, migrations: second }).dispose();
  });

  it("rolls a failed migration back whole, leaving the database as it was", () => {
    const file = stateDbPath(home);
    const broken: Migration[] = [{ version: 1, name: "broken", sql: "CREATE TABLE a (x INTEGER); CREATE TABLE a (x INTEGER)" }];
    expect(() => openStateDb({ file, migrations: broken })).toThrow(/already exists/);
    const db = new Database(file);
    expect(tables(db)).toEqual([]);
    db.close();
  });

  it("refuses a database written by a newer Shimmy, saying so", () => {
    const file = stateDbPath(home);
    openStateDb({ file, migrations: [...MIGRATIONS, { version: 99, name: "future", sql: "CREATE TABLE future (x INTEGER)" }] }).dispose();
    let error: unknown;
    try {
      openStateDb({ file });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(StartupError);
    expect((error as Error).message).toMatch(new RegExp(`was written by a newer Shimmy .*database schema 99; this Shimmy .* knows up to ${MIGRATIONS.at(-1)!.version}\\): upgrade Shimmy`));
  });

  it("backs up a database that stays open and written, to a file that opens alone", async () => {
    const state = openStateDb({ file: stateDbPath(home) });
    state.db.prepare("INSERT INTO conversations (id, created_at, metadata) VALUES (?, ?, ?)").run("conv_1", 1, "{}");
    const copy = path.join(home, "copy.db");
    await backupStateDb(state.file, copy, false);
    await expect(backupStateDb(state.file, copy, false)).rejects.toThrow(/exists: pass --force/);
    state.db.prepare("INSERT INTO conversations (id, created_at, metadata) VALUES (?, ?, ?)").run("conv_2", 1, "{}");
    await backupStateDb(state.file, copy, true);
    state.dispose();
    const db = new Database(copy, { readonly: true });
    expect(db.pragma("integrity_check", { simple: true })).toBe("ok");
    expect(db.prepare("SELECT id FROM conversations ORDER BY id").all()).toEqual([{ id: "conv_1" }, { id: "conv_2" }]);
    db.close();
    await expect(backupStateDb(path.join(home, "none.db"), copy, true)).rejects.toThrow(/no state database/);
  });
});
