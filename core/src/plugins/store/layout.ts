/** Where the plugin store keeps things under `$SHIMMY_HOME`. */
import os from "node:os";
import path from "node:path";

/** The store's paths for one `$SHIMMY_HOME`. */
export interface StoreLayout {
  /** `$SHIMMY_HOME`. */
  home: string;
  /** The user's home folder: what `~` in `permissions.fs` stands for. */
  userHome: string;
  /** `$SHIMMY_HOME/plugins`: one `NAME/VERSION/` folder per installed plugin. */
  pluginsDir: string;
  /** `$SHIMMY_HOME/plugins.lock.json`: the one list of what is installed. */
  lockFile: string;
  /** `$SHIMMY_HOME/secrets.json` (mode 0600): secret config values, never in the lock. */
  secretsFile: string;
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
    stagingDir: path.join(pluginsDir, ".staging"),
    guardFile: path.join(home, "plugins.lock.json.guard"),
    statusFile: path.join(home, "plugin-status.json"),
  };
}

/** `$SHIMMY_HOME/plugins/NAME/VERSION` (a scoped name gives `@owner/name/VERSION`). */
export function versionDir(layout: StoreLayout, name: string, version: string): string {
  return path.join(layout.pluginsDir, ...name.split("/"), version);
}
