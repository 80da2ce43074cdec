/**
 * A lock file holding the pid of the one process that may write somewhere: the core's plugin
 * store (for one change) and a registry's data folder (for the process's life) both use it. The
 * file appears whole, pid inside, in one step ({@link writeNewFile}), so a reader never sees it
 * empty; a lock whose process is gone (`kill -9`) is stale and taken over.
 */
import { randomBytes } from "node:crypto";
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
  const pid = Number.parseInt(text, 10);
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

/**
 * Removes `file` if it still names the dead `holder`. It is first renamed aside, which only one
 * process can do to one file: two processes taking over the same stale lock cannot both succeed,
 * and a fresh lock made between reading and renaming is put back.
 */
async function removeStale(file: string, holder: number | null): Promise<void> {
  const aside = `${file}.stale.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    await fs.rename(file, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return; // someone else took it over
    throw error;
  }
  const moved = await readHolder(aside);
  if (moved !== holder && moved !== null && alive(moved)) await fs.link(aside, file).catch(() => undefined);
  await fs.rm(aside, { force: true });
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
  const key = path.resolve(file);
  if (heldHere.has(key)) throw new PidLockHeldError(file, process.pid);
  heldHere.add(key); // before the first await: a second caller in this process sees it at once
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      if (await writeNewFile(file, String(process.pid))) return heldLock(file, key);
      const holder = await readHolder(file);
      if (holder !== null && holder !== process.pid && alive(holder)) throw new PidLockHeldError(file, holder);
      await removeStale(file, holder);
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

