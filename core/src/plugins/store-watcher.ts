/**
 * Tells the running server when the CLI changed the plugin store: `plugins.lock.json` (every store
 * change commits there) or `secrets.json`. Watching is best effort: a store that cannot be watched
 * is reported once, and the server then picks changes up at its next restart.
 */
import { watch, type FSWatcher } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import type { StoreLayout } from "./store/layout.js";

/** Options of {@link StoreWatcher.start}. */
export interface StoreWatcherOptions {
  layout: StoreLayout;
  /** Called on every change to the lock or secrets file (several times for one write: debounce it). */
  onChange(): void;
  /** Where a watch that cannot start, or that stops, is reported. */
  logger: { warn(obj: object, msg?: string): void };
}

/** A watch over one store's lock and secrets files. */
export class StoreWatcher {
  private watcher: FSWatcher | undefined;

  private constructor() {}

  /**
   * Creates `$SHIMMY_HOME` when missing (the first `shimmy plugin install` may come after the server
   * starts) and watches it. Never throws: a failure to watch is logged.
   */
  static async start({ layout, onChange, logger }: StoreWatcherOptions): Promise<StoreWatcher> {
    const watcher = new StoreWatcher();
    const watched = new Set([path.basename(layout.lockFile), path.basename(layout.secretsFile)]);
    try {
      await mkdir(layout.home, { recursive: true });
      // The folder, not the files: the CLI replaces them by rename, which a file watch would lose.
      watcher.watcher = watch(layout.home, { persistent: false }, (_event, file) => {
        const name = file?.toString();
        if (name !== undefined && watched.has(name)) onChange();
      });
      watcher.watcher.on("error", (err) => logger.warn({ err }, "stopped watching the plugin store; restart to pick up plugin changes"));
    } catch (err) {
      logger.warn({ err }, `cannot watch ${layout.home}; restart the server to pick up plugin changes`);
    }
    return watcher;
  }

  /** Stops watching. */
  dispose(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }
}
