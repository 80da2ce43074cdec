/**
 * Creates a file that appears whole in one step: written and flushed aside, then hard-linked into
 * place, which fails when the file exists. A reader never sees it half written, a crash never
 * leaves a half file under the name, and of two processes creating it at once exactly one wins.
 */
import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";

/**
 * Creates `file` holding `data`; false (and nothing written) when `file` already exists. The file
 * set aside is named `FILE.PID.HEX.tmp`, as atomic writes name theirs, so sweeps of a killed
 * writer's leftovers remove it too.
 *
 * @example
 * if (!(await writeNewFile(keyFile, pem))) pem = await fs.readFile(keyFile, "utf8"); // theirs
 */
export async function writeNewFile(file: string, data: string | Uint8Array, mode = 0o600): Promise<boolean> {
  const aside = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    const handle = await fs.open(aside, "wx", mode);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.link(aside, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  } finally {
    await fs.rm(aside, { force: true });
  }
}
