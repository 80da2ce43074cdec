/**
 * Keeps `plugin-status.json` (store/load-status.ts) in step with the running server, for
 * `shimmy plugin list`: which plugins cannot run now, and why. Writes go one after another, so an
 * older state never lands after a newer one.
 */
import { clearLoadStatus, writeLoadStatus, type FailedPlugin } from "./store/load-status.js";
import type { StoreLayout } from "./store/layout.js";

/** Writes a store's plugin-status.json, in order. */
export class LoadStatusRecorder {
  private readonly layout: StoreLayout;
  private readonly logger: { warn(obj: object, msg?: string): void };
  /** The last write: the next one waits for it. */
  private writing: Promise<void> = Promise.resolve();
  private disposed = false;

  constructor(layout: StoreLayout, logger: { warn(obj: object, msg?: string): void }) {
    this.layout = layout;
    this.logger = logger;
  }

  /**
   * Writes what `failed` returns when this write's turn comes (so it reads the state then, not now).
   * A failed write is logged: the server runs on, only `plugin list` shows less.
   */
  record(failed: () => Record<string, FailedPlugin>): void {
    this.writing = this.writing.then(async () => {
      if (this.disposed) return;
      await writeLoadStatus(this.layout, failed()).catch((err: unknown) =>
        this.logger.warn({ err }, `cannot write ${this.layout.statusFile}; shimmy plugin list will not show which plugins failed`),
      );
    });
  }

  /** Waits for the last write, then removes the file: a stopped server runs nothing, and fails nothing. */
  async dispose(): Promise<void> {
    this.disposed = true;
    await this.writing;
    await clearLoadStatus(this.layout).catch(() => {});
  }
}
