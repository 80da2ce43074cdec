/**
 * One writer at a time: a process changing the store holds `plugins.lock.json.guard`, created
 * exclusively with its pid in it. A guard whose process is gone (a `kill -9` mid-install) is stale
 * and taken over, so a crash never locks the store for good.
 */
import fsp from "node:fs/promises";
import type { StoreLayout } from "./layout.js";
import { StoreError } from "./store-error.js";

/** Whether a process with this pid exists (a guard or status file whose writer is gone is stale). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Takes the store's guard; the returned function gives it back.
 *
 * @throws {StoreError} `busy` while another live process holds it.
 */
export async function acquireStoreGuard(layout: StoreLayout): Promise<() => Promise<void>> {
  await fsp.mkdir(layout.home, { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await fsp.open(layout.guardFile, "wx", 0o600);
      await handle.writeFile(String(process.pid));
      await handle.close();
      return () => fsp.rm(layout.guardFile, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const holder = Number.parseInt(await fsp.readFile(layout.guardFile, "utf8").catch(() => ""), 10);
    if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && alive(holder)) {
      throw new StoreError("busy", `another shimmy process (pid ${holder}) is changing the installed plugins; try again when it is done`);
    }
    await fsp.rm(layout.guardFile, { force: true }); // stale: its process is gone
  }
  throw new StoreError("busy", `cannot take ${layout.guardFile}; remove it if no shimmy process is running`);
}
