/**
 * A lock file holding the pid of the one process that may write somewhere: the core's plugin
 * store (for one change) and a registry's data folder (for the process's life) both use it. The
 * file appears whole, pid inside, in one step ({@link writeNewFile}), so a reader never sees it
 * empty; a lock whose process is gone (`kill -9`) is stale and taken over. Taking over is itself
 * locked (`FILE.takeover.ID`, a pid lock for that one stale file), so of many processes taking over
 * the same stale lock exactly one wins, whoever is killed at whichever step.
 */
import { createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";
import { writeNewFile } from "./write-new-file.js";

/**
 * Locks this process holds: the pid in the file cannot tell two holders in one process apart, and
 * a file naming this pid but not listed here is a dead process's whose pid was reused.
 */
const heldHere = new Set<string>();

/** Whether a process with this pid exists (a lock or status file whose writer is gone is stale). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Thrown by {@link acquirePidLock} while another live process holds the lock. */
export class PidLockHeldError extends Error {
  /** The holder's pid; null when the lock could not be taken for another reason (it kept changing). */
  readonly holder: number | null;
  readonly file: string;

  constructor(file: string, holder: number | null) {
    super(holder === null ? `cannot take ${file}; remove it if no process holds it` : `${file} is held by pid ${holder}`);
    this.name = "PidLockHeldError";
    this.file = file;
    this.holder = holder;
  }
}

/** A held lock. */
export interface PidLock {
  readonly file: string;
  /** Gives the lock back (removes the file); safe to call twice. */
  release(): Promise<void>;
}

async function readHolder(file: string): Promise<number | null> {
  const text = await fs.readFile(file, "utf8").catch(() => "");
  return holderOf(text);
}

function holderOf(text: string): number | null {
  const pid = Number.parseInt(text, 10);
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

/** One lock file as it was seen: its inode and text tell this file from a later one at the same name. */
interface SeenLock {
  ino: number;
  text: string;
}

async function readLock(file: string): Promise<SeenLock | null> {
  try {
    const handle = await fs.open(file, "r");
    try {
      const [stat, text] = await Promise.all([handle.stat(), handle.readFile("utf8")]);
      return { ino: stat.ino, text };
    } finally {
      await handle.close();
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}

/** How deep a takeover of a takeover may go: each level needs another `kill -9` inside the one before. */
const MAX_DEPTH = 4;
/** Tries at one lock before giving up with a null holder; each waits at most {@link CONTENDED_WAIT_MS}. */
const MAX_ATTEMPTS = 1000;
const CONTENDED_WAIT_MS = 10;

/**
 * Removes the stale lock `seen`, if `file` is still that very file. Removing is only safe for the
 * one process that holds the right to take over this file, a pid lock of its own named after the
 * file's inode and text: without it, a process that saw the stale file could remove the fresh lock
 * another process wrote after removing the stale one, and both would win. True when the takeover
 * was ours to do (whether or not the file was still there), false while another process does it.
 */
async function removeStale(file: string, seen: SeenLock, depth: number): Promise<boolean> {
  const generation = createHash("sha256").update(`${seen.ino}:${seen.text}`).digest("hex").slice(0, 16);
  let claim: PidLock;
  try {
    claim = await takeLock(`${file}${TAKEOVER}${generation}`, depth + 1);
  } catch (error) {
    if (error instanceof PidLockHeldError) return false;
    throw error;
  }
  try {
    const now = await readLock(file);
    const holder = now && holderOf(now.text);
    const stillStale = holder === null || holder === process.pid || !alive(holder);
    if (now && now.ino === seen.ino && now.text === seen.text && stillStale) await fs.rm(file, { force: true });
    return true;
  } finally {
    await claim.release();
  }
}

/** Infix of the files that hold the right to take over a stale lock. */
const TAKEOVER = ".takeover.";

/** Removes takeover rights left by processes killed while taking over `file` (theirs are dead). */
async function sweepTakeovers(file: string): Promise<void> {
  const dir = path.dirname(file);
  const prefix = `${path.basename(file)}${TAKEOVER}`;
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    if (!name.startsWith(prefix) || name.endsWith(".tmp")) continue;
    const holder = await readHolder(path.join(dir, name));
    if (holder === null || (holder !== process.pid && !alive(holder))) await fs.rm(path.join(dir, name), { force: true });
  }
}

/**
 * Takes the lock `file` for this process. A file naming this same pid that this process does not
 * hold (a restart that got the dead holder's pid, as pid 1 in a container does) is stale.
 *
 * @throws {PidLockHeldError} while another live process, or this one, holds it (`holder` is its pid).
 * @example
 * const lock = await acquirePidLock(path.join(dataDir, "registry.lock"));
 * try { ... } finally { await lock.release(); }
 */
export async function acquirePidLock(file: string): Promise<PidLock> {
  const lock = await takeLock(file, 0);
  await sweepTakeovers(file);
  return lock;
}

async function takeLock(file: string, depth: number): Promise<PidLock> {
  const key = path.resolve(file);
  if (heldHere.has(key)) throw new PidLockHeldError(file, process.pid);
  if (depth > MAX_DEPTH) throw new PidLockHeldError(file, null);
  heldHere.add(key); // before the first await: a second caller in this process sees it at once
  try {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      if (await writeNewFile(file, String(process.pid))) return heldLock(file, key);
      const seen = await readLock(file);
      if (!seen) continue; // released between the two steps
      const holder = holderOf(seen.text);
      if (holder !== null && holder !== process.pid && alive(holder)) throw new PidLockHeldError(file, holder);
      if (!(await removeStale(file, seen, depth))) await new Promise((resolve) => setTimeout(resolve, CONTENDED_WAIT_MS));
    }
    throw new PidLockHeldError(file, null);
  } catch (error) {
    heldHere.delete(key);
    throw error;
  }
}

function heldLock(file: string, key: string): PidLock {
  let released = false;
  return {
    file,
    release: async () => {
      if (released) return;
      released = true;
      // Only our own lock: after a takeover by another process the file is theirs.
      if ((await readHolder(file)) === process.pid) await fs.rm(file, { force: true });
      heldHere.delete(key);
    },
  };
}

