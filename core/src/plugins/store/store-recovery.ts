/**
 * Every store command starts by clearing up what a killed one left, under the store guard: the
 * secrets journal settled (store-commit.ts), temporary files of atomic writes that never got their
 * rename, the staging folder, plugin folders no lock entry names (a new one whose lock switch never
 * came, an old one whose removal never came) and secrets of plugins the lock no longer lists.
 * Readers never need this (they follow the lock alone); it keeps the disk from filling with leftovers.
 */
import type { Dirent } from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import type { StoreLayout } from "./layout.js";
import { installedDir, pluginDir } from "./layout.js";
import { readLock, type LockFile } from "./lock-file.js";
import { readPluginSecrets, writePluginSecrets } from "./secrets.js";
import { settleSecretsJournal } from "./store-commit.js";
import { StoreError } from "./store-error.js";
import { acquireStoreGuard, alive } from "./store-guard.js";

async function entries(dir: string): Promise<Dirent[]> {
  return fsp.readdir(dir, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return [];
    throw error;
  });
}

/**
 * Removes `FILE.PID.HEX.tmp` leftovers of writeFileAtomic. Those of the guarded files (the lock,
 * secrets.json, the journal) can only be a dead writer's, since we hold the guard; the server writes
 * plugin-status.json without the guard, so its leftovers go only when their process is gone.
 */
async function sweepTempFiles(layout: StoreLayout): Promise<void> {
  const guarded = [layout.lockFile, layout.secretsFile, layout.secretsJournal].map((f) => path.basename(f));
  const status = path.basename(layout.statusFile);
  for (const entry of await entries(layout.home)) {
    const match = /^(.+)\.(\d+)\.[0-9a-f]+\.tmp$/.exec(entry.name);
    if (!match || !entry.isFile()) continue;
    const [, file, pid] = match as unknown as [string, string, string];
    if (guarded.includes(file) || (file === status && !alive(Number(pid)))) await fsp.rm(path.join(layout.home, entry.name), { force: true });
  }
}

/** Plugin names that have a folder under `plugins/` (a scope folder `@owner` holds `@owner/name`). */
async function pluginFolders(layout: StoreLayout): Promise<string[]> {
  const names: string[] = [];
  for (const entry of await entries(layout.pluginsDir)) {
    if (!entry.isDirectory() || entry.name === path.basename(layout.stagingDir)) continue;
    if (!entry.name.startsWith("@")) {
      names.push(entry.name);
      continue;
    }
    const scoped = await entries(path.join(layout.pluginsDir, entry.name));
    if (scoped.length === 0) await fsp.rmdir(path.join(layout.pluginsDir, entry.name)).catch(() => {});
    for (const child of scoped) if (child.isDirectory()) names.push(`${entry.name}/${child.name}`);
  }
  return names;
}

/** Removes every plugin folder the lock does not name. */
async function sweepOrphanFolders(layout: StoreLayout, lock: LockFile): Promise<void> {
  for (const name of await pluginFolders(layout)) {
    const entry = lock.plugins[name];
    if (!entry) {
      await fsp.rm(pluginDir(layout, name), { recursive: true, force: true });
      continue;
    }
    const keep = path.basename(installedDir(layout, name, entry));
    for (const child of await entries(pluginDir(layout, name))) {
      if (child.name !== keep) await fsp.rm(path.join(pluginDir(layout, name), child.name), { recursive: true, force: true });
    }
  }
}

/** Removes the secrets of plugins the lock does not list (a remove killed before it got to them, in older stores). */
async function sweepOrphanSecrets(layout: StoreLayout, lock: LockFile): Promise<void> {
  for (const name of Object.keys(await readPluginSecrets(layout))) {
    if (!lock.plugins[name]) await writePluginSecrets(layout, name, {});
  }
}

/**
 * Clears up after killed commands (see the file's comment); resolves to the lock as it stands.
 * The caller holds the store guard.
 */
export async function recoverStore(layout: StoreLayout): Promise<LockFile> {
  const lock = await readLock(layout);
  await settleSecretsJournal(layout, lock);
  await sweepTempFiles(layout);
  await fsp.rm(layout.stagingDir, { recursive: true, force: true });
  await sweepOrphanFolders(layout, lock);
  await sweepOrphanSecrets(layout, lock);
  return lock;
}

/**
 * Runs `change` holding the store guard, after {@link recoverStore}; `change` gets the lock as it
 * stands. The guard is given back however `change` ends.
 *
 * @throws {StoreError} `busy` while another process holds the guard, or whatever `change` throws.
 */
export async function withStore<T>(layout: StoreLayout, change: (lock: LockFile) => Promise<T>): Promise<T> {
  const release = await acquireStoreGuard(layout);
  try {
    return await change(await recoverStore(layout));
  } finally {
    await release();
  }
}

/**
 * For commands that only read (`list`, `info`): clears up after killed commands when the guard is
 * free, and skips it while another command holds the guard (they follow the lock either way).
 */
export async function recoverIfIdle(layout: StoreLayout): Promise<void> {
  // Reading a store that was never written must not create it.
  if (!(await fsp.stat(layout.home).catch(() => null))) return;
  try {
    await withStore(layout, async () => {});
  } catch (error) {
    if (!(error instanceof StoreError && error.code === "busy")) throw error;
  }
}
