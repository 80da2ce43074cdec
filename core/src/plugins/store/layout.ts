/** Where the plugin store keeps things under `$SHIMMY_HOME`. */
import { createHash, randomBytes } from "node:crypto";
import fsp from "node:fs/promises";
import os from "node:os";
import path from "node:path";

/** The store's paths for one `$SHIMMY_HOME`. */
export interface StoreLayout {
  /** `$SHIMMY_HOME`. */
  home: string;
  /** The user's home folder: what `~` in `permissions.fs` stands for. */
  userHome: string;
  /**
   * `$SHIMMY_HOME/plugins`: one `NAME/VERSION-UNIQUE/` folder per install, the one the lock entry
   * names in `dir` (stores from before `dir` have `NAME/VERSION/`).
   */
  pluginsDir: string;
  /** `$SHIMMY_HOME/plugins.lock.json`: the one list of what is installed. */
  lockFile: string;
  /** `$SHIMMY_HOME/secrets.json` (mode 0600): secret config values, never in the lock. */
  secretsFile: string;
  /**
   * `$SHIMMY_HOME/secrets.pending.json` (mode 0600): the secrets change in progress, kept until the
   * lock commits it, so a kill in between can be rolled back (store-commit.ts).
   */
  secretsJournal: string;
  /** Where installs unpack before the rename into place; leftovers of a killed install are swept. */
  stagingDir: string;
  /** Held (created exclusively) while a process changes the store. */
  guardFile: string;
  /** `$SHIMMY_HOME/plugin-status.json`: what the running server cannot run (load-status.ts). */
  statusFile: string;
}

/** The layout of the store under `home` (`$SHIMMY_HOME`). */
export function storeLayout(home: string, userHome: string = os.homedir()): StoreLayout {
  const pluginsDir = path.join(home, "plugins");
  return {
    home,
    userHome,
    pluginsDir,
    lockFile: path.join(home, "plugins.lock.json"),
    secretsFile: path.join(home, "secrets.json"),
    secretsJournal: path.join(home, "secrets.pending.json"),
    stagingDir: path.join(pluginsDir, ".staging"),
    guardFile: path.join(home, "plugins.lock.json.guard"),
    statusFile: path.join(home, "plugin-status.json"),
  };
}

/** `$SHIMMY_HOME/plugins/NAME`, which holds every folder of that plugin (a scoped name gives `@owner/name`). */
export function pluginDir(layout: StoreLayout, name: string): string {
  return path.join(layout.pluginsDir, ...name.split("/"));
}

/**
 * The folder of an installed plugin: the one its lock entry names (`dir`), else `VERSION` (a store
 * written before `dir`). Readers find a plugin's files only through this.
 */
export function installedDir(layout: StoreLayout, name: string, entry: { version: string; dir?: string }): string {
  return path.join(pluginDir(layout, name), entry.dir ?? entry.version);
}

/**
 * A fresh folder name for an install of `version`: `VERSION-` and 8 random hex digits. Never the
 * folder in use, even for the same version again, so an install never displaces the files the
 * lock names; only the lock's rename switches to the new folder.
 */
export function newInstallFolder(version: string): string {
  return `${version}-${randomBytes(4).toString("hex")}`;
}

/**
 * A short id of this store (its real `home` path, hashed): the server shows it on `/api/plugins`,
 * so the CLI only waits for a server that runs the store it changed.
 */
export async function storeId(layout: StoreLayout): Promise<string> {
  const real = await fsp.realpath(layout.home).catch(() => path.resolve(layout.home));
  return createHash("sha256").update(real).digest("hex").slice(0, 16);
}
