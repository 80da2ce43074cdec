/**
 * `$SHIMMY_HOME/plugin-status.json`: the installed plugins the running server cannot run, and why
 * (a start deadline passed, instances that kept failing to start), so that `shimmy plugin list`,
 * which reads the store and not the server, shows them too. The server rewrites it after every
 * reload and whenever a plugin is marked failed, and removes it when it stops; a reader trusts it
 * only while the process that wrote it is alive.
 */
import fsp from "node:fs/promises";
import { writeFileAtomic } from "./atomic-file.js";
import type { StoreLayout } from "./layout.js";

/** One plugin the server cannot run. */
export interface FailedPlugin {
  /** The version it tried to run: a reinstalled one is not reported under the old one's error. */
  version: string;
  error: string;
}

interface StatusFile {
  pid: number;
  updatedAt: string;
  failed: Record<string, FailedPlugin>;
}

/** Records what this process cannot run (replacing what it recorded before). */
export async function writeLoadStatus(layout: StoreLayout, failed: Record<string, FailedPlugin>): Promise<void> {
  const file: StatusFile = { pid: process.pid, updatedAt: new Date().toISOString(), failed };
  await writeFileAtomic(layout.statusFile, JSON.stringify(file, null, 2) + "\n");
}

/** Removes the record if this process wrote it (another server on the same store may have since). */
export async function clearLoadStatus(layout: StoreLayout): Promise<void> {
  if ((await readStatusFile(layout))?.pid === process.pid) await fsp.rm(layout.statusFile, { force: true });
}

/** The plugins a running server reported it cannot run, by name; empty when none runs or it left no record. */
export async function readLoadStatus(layout: StoreLayout): Promise<Record<string, FailedPlugin>> {
  const file = await readStatusFile(layout);
  return file && isAlive(file.pid) ? file.failed : {};
}

async function readStatusFile(layout: StoreLayout): Promise<StatusFile | null> {
  try {
    const data = JSON.parse(await fsp.readFile(layout.statusFile, "utf8")) as StatusFile;
    return typeof data?.pid === "number" && typeof data.failed === "object" && data.failed !== null ? data : null;
  } catch {
    return null; // none, or half a file from another tool: a status is a hint, never an error
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM"; // alive, but another user's
  }
}
