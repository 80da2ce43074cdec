/**
 * One writer at a time: a process changing the store holds `plugins.lock.json.guard`, the SDK's
 * pid lock (the registry locks its data folder with it too). A guard whose process is gone (a
 * `kill -9` mid-install) is stale and taken over, so a crash never locks the store for good.
 */
import fsp from "node:fs/promises";
import { acquirePidLock, PidLockHeldError } from "@shimmy/plugin-sdk";
import type { StoreLayout } from "./layout.js";
import { StoreError } from "./store-error.js";

export { alive } from "@shimmy/plugin-sdk";

/**
 * Takes the store's guard; the returned function gives it back.
 *
 * @throws {StoreError} `busy` while another live process holds it.
 */
export async function acquireStoreGuard(layout: StoreLayout): Promise<() => Promise<void>> {
  await fsp.mkdir(layout.home, { recursive: true });
  try {
    const lock = await acquirePidLock(layout.guardFile);
    return () => lock.release();
  } catch (error) {
    if (!(error instanceof PidLockHeldError)) throw error;
    if (error.holder === null) throw new StoreError("busy", `cannot take ${layout.guardFile}; remove it if no shimmy process is running`, { cause: error });
    const who = error.holder === process.pid ? "this shimmy process" : `another shimmy process (pid ${error.holder})`;
    throw new StoreError("busy", `${who} is changing the installed plugins; try again when it is done`, { cause: error });
  }
}
