/** Atomic file replacement: temp file, fsync, rename, then fsync the folder so the rename itself survives a crash. */
import { promises as fs } from "node:fs";
import path from "node:path";

/** Options of {@link writeFileAtomic}. */
export interface AtomicWriteOptions {
  /** @default 0o644 */
  mode?: number;
  /** Runs after the temp file is durable and before the rename (tests pause the process here). */
  beforeRename?: () => Promise<void>;
}

/** The suffix of temp files; anything with it left by a crash is removed at start. */
export const TEMP_SUFFIX = ".tmp";

let counter = 0;

/** Writes `data` to `file` so that a crash at any point leaves either the old file or the new one. */
export async function writeFileAtomic(file: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  const temp = `${file}.${process.pid}.${++counter}${TEMP_SUFFIX}`;
  const handle = await fs.open(temp, "w", options.mode ?? 0o644);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await options.beforeRename?.();
    await fs.rename(temp, file);
  } catch (error) {
    await fs.rm(temp, { force: true });
    throw error;
  }
  await syncFolder(path.dirname(file));
}

/** fsync of a folder, so that a rename or a new entry in it is durable. */
export async function syncFolder(folder: string): Promise<void> {
  const handle = await fs.open(folder, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
