/**
 * The plugin store on disk as a test checks it after a kill: only through the lock, as every reader
 * follows it, and what a killed command may have left beside it.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

/** The lock of the store `store` (`$SHIMMY_HOME`); an empty one when there is none. */
export function readStoreLock(store: string): { generation?: number; plugins: Record<string, any> } {
  const file = path.join(store, "plugins.lock.json");
  return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) : { plugins: {} };
}

/** The folder the lock names for `name`. */
export function lockedFolder(store: string, name: string): string {
  const entry = readStoreLock(store).plugins[name];
  if (!entry) throw new Error(`${name} is not in the lock`);
  return path.join(store, "plugins", ...name.split("/"), entry.dir ?? entry.version);
}

/**
 * Throws unless every lock entry has its folder, with the four package files and a `plugin.wasm`
 * matching the lock's sha256; returns the lock.
 */
export function checkStoreConsistent(store: string): ReturnType<typeof readStoreLock> {
  const lock = readStoreLock(store);
  for (const [name, entry] of Object.entries(lock.plugins)) {
    const dir = lockedFolder(store, name);
    for (const file of ["package.json", "shimmy-plugin.json", "README.md", "plugin.wasm"]) {
      if (!fs.existsSync(path.join(dir, file))) throw new Error(`the lock lists ${name} ${entry.version} but ${path.join(dir, file)} is missing`);
    }
    const sha256 = createHash("sha256").update(fs.readFileSync(path.join(dir, "plugin.wasm"))).digest("hex");
    if (sha256 !== entry.wasmSha256) throw new Error(`${name}'s plugin.wasm does not match the lock's sha256`);
  }
  return lock;
}

/**
 * Whether `file` (`NAME.PID.RANDOM.tmp`, as writeFileAtomic names it) belongs to a process that is
 * still running: a write in flight (the server recording plugin-status.json), not a leftover.
 */
function writtenNow(file: string): boolean {
  const pid = Number(/\.(\d+)\.[0-9a-f]+\.tmp$/.exec(file)?.[1]);
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * What killed commands left that no reader uses: temporary files in `$SHIMMY_HOME`, anything in
 * the staging folder, plugin folders the lock does not name, the secrets journal.
 */
export function storeLeftovers(store: string): string[] {
  const lock = readStoreLock(store);
  const left = fs.existsSync(store) ? fs.readdirSync(store).filter((f) => (f.endsWith(".tmp") && !writtenNow(f)) || f === "secrets.pending.json") : [];
  const staging = path.join(store, "plugins/.staging");
  if (fs.existsSync(staging)) left.push(...fs.readdirSync(staging).map((f) => `plugins/.staging/${f}`));
  const pluginsDir = path.join(store, "plugins");
  if (fs.existsSync(pluginsDir)) {
    for (const name of fs.readdirSync(pluginsDir).filter((n) => n !== ".staging")) {
      const entry = lock.plugins[name];
      for (const folder of fs.readdirSync(path.join(pluginsDir, name))) {
        if (!entry || folder !== (entry.dir ?? entry.version)) left.push(`plugins/${name}/${folder}`);
      }
    }
  }
  return left;
}
