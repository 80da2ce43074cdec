/** Whole-file writes that a crash (or `kill -9`) can never leave half done. */
import { randomBytes } from "node:crypto";
import fsp from "node:fs/promises";
import path from "node:path";

/**
 * Writes `data` to `file` through a temporary file in the same folder, flushed, then renamed over
 * `file`: readers see the old contents or the new, never a mix. A kill before the rename leaves the
 * temporary file (`FILE.PID.HEX.tmp`), which the store sweeps on its next command (store-recovery.ts).
 * `beforeRename` runs between the two (a test hook's pause point).
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array, mode = 0o644, beforeRename?: () => Promise<void>): Promise<void> {
  await fsp.mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  const handle = await fsp.open(temp, "wx", mode);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await beforeRename?.();
  try {
    // The mode given to open() is masked by the umask; a secrets file must be 0600 whatever it is.
    await fsp.chmod(temp, mode);
    await fsp.rename(temp, file);
  } catch (error) {
    await fsp.rm(temp, { force: true });
    throw error;
  }
}
