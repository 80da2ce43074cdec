/**
 * The one rescan loop: the model folders (server.ts) and the plugin store (plugins/) are both read
 * again when they change, and both must never run two rescans at once nor miss a change that lands
 * during one. A request during a run asks for one more run after it, however many come.
 */

/** Options of {@link RescanLoop}. */
export interface RescanLoopOptions {
  /** One rescan; the loop never runs two at once. */
  run(): Promise<void>;
  /** Where a failed {@link RescanLoop.schedule}d run is reported (a caller of `request()` gets its own error). */
  onError(error: unknown): void;
  /** How long {@link RescanLoop.schedule} waits for more changes before it runs. @default 0 (at once) */
  debounceMs?: number;
}

/**
 * Runs `run` one at a time, coalescing requests that come while it runs into one more run.
 *
 * @example
 * const rescan = new RescanLoop({ run: () => readStore(), onError: (err) => log.error({ err }), debounceMs: 50 });
 * fs.watch(dir, () => rescan.schedule());
 * await rescan.request(); // the first scan, awaited
 */
export class RescanLoop {
  private readonly options: RescanLoopOptions;
  private running: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private disposed = false;

  constructor(options: RescanLoopOptions) {
    this.options = options;
  }

  /**
   * Rescans now, or, when a rescan is running, once more after it; resolves when that rescan ends
   * (all requests coalesced into it share its promise). After {@link dispose} it runs nothing more.
   */
  request(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    if (this.disposed) return Promise.resolve();
    this.running = (async () => {
      do {
        this.again = false;
        await this.options.run();
      } while (this.again && !this.disposed);
    })().finally(() => (this.running = undefined));
    return this.running;
  }

  /** For watchers: a {@link request} after `debounceMs` of quiet, its failure sent to `onError`. */
  schedule(): void {
    if (this.disposed) return;
    const start = () => void this.request().catch((error: unknown) => this.options.onError(error));
    const debounceMs = this.options.debounceMs ?? 0;
    if (debounceMs <= 0) return start();
    clearTimeout(this.timer);
    this.timer = setTimeout(start, debounceMs);
  }

  /** Stops scheduling and waits for the rescan in progress (its failure is not rethrown). */
  async dispose(): Promise<void> {
    this.disposed = true;
    clearTimeout(this.timer);
    await this.running?.catch(() => {});
  }
}
