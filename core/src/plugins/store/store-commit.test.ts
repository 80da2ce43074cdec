import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { storeLayout, type StoreLayout } from "./layout.js";
import { testLockEntry } from "../test-plugins.fixture.js";
import { readLock, writeLock } from "./lock-file.js";
import { readPluginSecrets, writePluginSecrets } from "./secrets.js";
import { commitChange, readCommittedStore, settleSecretsJournal } from "./store-commit.js";

let layout: StoreLayout;
const entry = testLockEntry({ dir: "1.0.0-0123abcd", config: { note: "old" } });

beforeEach(async () => {
  layout = storeLayout(fs.mkdtempSync(path.join(os.tmpdir(), "shimmy-commit-")), "/home/u");
  await writeLock(layout, { lockfileVersion: 1, plugins: { p: entry } });
  await writePluginSecrets(layout, "p", { token: "old" });
});

afterEach(() => fs.rmSync(layout.home, { recursive: true, force: true }));

/** The store as a kill after the journal and secrets.json, before the lock, leaves it. */
async function killedBeforeTheLock(): Promise<void> {
  const generation = ((await readLock(layout)).generation ?? 0) + 1;
  fs.writeFileSync(layout.secretsJournal, JSON.stringify({ generation, plugin: "p", previous: { token: "old" }, next: { token: "new" } }));
  await writePluginSecrets(layout, "p", { token: "new" });
}

describe("commitChange", () => {
  it("commits the secrets and the lock entry together, raising the generation, and leaves no journal", async () => {
    const lock = await readLock(layout);
    const generation = await commitChange(layout, { lock, plugins: { p: { ...entry, config: { note: "new" } } }, step: "config", secrets: { plugin: "p", previous: { token: "old" }, next: { token: "new" } } });
    expect(generation).toBe((lock.generation ?? 0) + 1);
    expect(await readCommittedStore(layout)).toMatchObject({ lock: { generation, plugins: { p: { config: { note: "new" } } } }, secrets: { p: { token: "new" } } });
    expect(fs.existsSync(layout.secretsJournal)).toBe(false);
  });
});

describe("a secrets change the lock never committed", () => {
  it("reads as the old secrets, and the next command rolls secrets.json back", async () => {
    await killedBeforeTheLock();
    expect((await readPluginSecrets(layout)).p).toEqual({ token: "new" });
    expect((await readCommittedStore(layout)).secrets).toEqual({ p: { token: "old" } });
    await settleSecretsJournal(layout, await readLock(layout));
    expect((await readPluginSecrets(layout)).p).toEqual({ token: "old" });
    expect(fs.existsSync(layout.secretsJournal)).toBe(false);
  });

  it("is kept once the lock has its generation (killed after the commit, before the journal went)", async () => {
    await killedBeforeTheLock();
    await writeLock(layout, await readLock(layout));
    expect((await readCommittedStore(layout)).secrets).toEqual({ p: { token: "new" } });
    await settleSecretsJournal(layout, await readLock(layout));
    expect((await readPluginSecrets(layout)).p).toEqual({ token: "new" });
  });
});
