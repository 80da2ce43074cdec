/**
 * How a store change that touches two files (the lock and secrets.json) still happens in one step:
 * the lock's rename is the commit point. A change of secrets first writes a journal
 * (`secrets.pending.json`, the plugin's secrets before and after, and the lock generation that will
 * commit them), then secrets.json, then the lock, then removes the journal. Until the lock carries
 * that generation the change is not committed: readers take the journal's `previous` values
 * ({@link readCommittedStore}), and the next store command rolls secrets.json back
 * ({@link settleSecretsJournal}). A `kill -9` between any two steps therefore leaves the old
 * settings or the new ones, never the new secrets with the old lock.
 */
import fsp from "node:fs/promises";
import { writeFileAtomic } from "./atomic-file.js";
import type { StoreLayout } from "./layout.js";
import { lockGeneration, readLock, writeLock, type LockedPlugin, type LockFile } from "./lock-file.js";
import { readPluginSecrets, writePluginSecrets } from "./secrets.js";
import { StoreError } from "./store-error.js";
import { pauseAt } from "./test-pause.js";

type Values = Record<string, unknown>;

/** `secrets.pending.json`: one plugin's secrets change, not committed until the lock has `generation`. */
interface SecretsJournal {
  generation: number;
  plugin: string;
  previous: Values;
  next: Values;
}

/** One change of the store, made by {@link commitChange}. */
export interface StoreChange {
  /** The lock as read under the store guard. */
  lock: LockFile;
  /** Every installed plugin after the change. */
  plugins: Record<string, LockedPlugin>;
  /** A plugin whose secrets change with it: its values before and after (`{}`: none). */
  secrets?: { plugin: string; previous: Values; next: Values };
  /** The command making it, which names its pause points (test-pause.ts). */
  step: "config" | "remove";
}

async function readJournal(layout: StoreLayout): Promise<SecretsJournal | null> {
  let text: string;
  try {
    text = await fsp.readFile(layout.secretsJournal, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new StoreError("corrupt_store", `${layout.secretsJournal} cannot be read: ${(error as Error).message}`);
  }
  try {
    const data = JSON.parse(text) as SecretsJournal;
    if (Number.isInteger(data.generation) && typeof data.plugin === "string" && typeof data.previous === "object" && typeof data.next === "object") return data;
  } catch {
    // reported below
  }
  // Written atomically, so never half a file: only a hand edit gets here.
  throw new StoreError("corrupt_store", `${layout.secretsJournal} is not a valid secrets journal; remove it if no shimmy plugin command is running`);
}

/**
 * Makes `change` with the lock write as its commit point (see the file's comment); resolves to the
 * new lock generation. The caller holds the store guard.
 */
export async function commitChange(layout: StoreLayout, change: StoreChange): Promise<number> {
  const { step } = change;
  const secrets = change.secrets && JSON.stringify(change.secrets.previous) !== JSON.stringify(change.secrets.next) ? change.secrets : undefined;
  if (secrets) {
    const journal: SecretsJournal = { generation: lockGeneration(change.lock) + 1, ...secrets };
    await writeFileAtomic(layout.secretsJournal, JSON.stringify(journal) + "\n", 0o600);
    await pauseAt(`${step}:journal-written`);
    await writePluginSecrets(layout, secrets.plugin, secrets.next);
    await pauseAt(`${step}:secrets-written`);
  }
  const generation = await writeLock(layout, { ...change.lock, plugins: change.plugins });
  await pauseAt(`${step}:committed`);
  if (secrets) await fsp.rm(layout.secretsJournal, { force: true });
  return generation;
}

/**
 * Finishes what a killed command left in the journal: a change the lock never committed is rolled
 * back in secrets.json; a committed one is already there. The caller holds the store guard.
 */
export async function settleSecretsJournal(layout: StoreLayout, lock: LockFile): Promise<void> {
  const journal = await readJournal(layout);
  if (!journal) return;
  if (journal.generation > lockGeneration(lock)) await writePluginSecrets(layout, journal.plugin, journal.previous);
  await fsp.rm(layout.secretsJournal, { force: true });
}

/** The store as its lock last committed it: the lock, and the secrets that go with it. */
export interface CommittedStore {
  lock: LockFile;
  secrets: Record<string, Values>;
}

/**
 * Reads the lock and the secrets it committed, without the guard (the server, `plugin list`): a
 * secrets change the lock has not committed yet is read as its journal's `previous` values. The
 * lock is read before and after the other files, and the whole read is redone if it changed in
 * between, so the secrets always belong to the lock returned.
 */
export async function readCommittedStore(layout: StoreLayout): Promise<CommittedStore> {
  for (let attempt = 0; ; attempt++) {
    const lock = await readLock(layout);
    const secrets = await readPluginSecrets(layout);
    const journal = await readJournal(layout);
    const after = await readLock(layout);
    const settled = JSON.stringify(after) === JSON.stringify(lock);
    if (!settled && attempt < 10) continue;
    const committed = { ...secrets };
    if (journal && journal.generation > lockGeneration(after)) {
      if (Object.keys(journal.previous).length > 0) committed[journal.plugin] = journal.previous;
      else delete committed[journal.plugin];
    }
    return { lock: after, secrets: committed };
  }
}
