/**
 * `background: true`: responses that run detached from the request that created it. Each run has
 * its own abort signal (the client may hang up at once), queues behind the engine's slots as any
 * request, and is kept as it finishes. While it runs, `GET` reads its output so far from here, not
 * the database, so progress costs no writes; `/cancel` aborts it. The number of runs is bounded:
 * past it, a new one is refused with a 503 rather than piling up work no one waits for.
 */
import type { GenerationResult, ToolCallDelta } from "../engine/types.js";
import { retryLater, toErrorResponse } from "../errors.js";
import type { ToolTraceEntry } from "../tools/tool-trace.js";
import { finalStatus, responseObject, type OutputIds, type ResponseHead } from "./response-object.js";
import { ResponseEventStream } from "./stream-events.js";
import type { ResponseObject } from "./types.js";

/** Background responses running at once, unless {@link BackgroundRunsOptions.maxRuns} says otherwise: the engine's default queue size. */
export const DEFAULT_MAX_BACKGROUND_RUNS = 64;

/** The error of a background response the server stopped (or was killed) before it finished. */
export const INTERRUPTED = { code: "server_stopped", message: "The server stopped before this background response finished; create it again." } as const;

/** Options of {@link BackgroundRuns}. */
export interface BackgroundRunsOptions {
  /** Runs at once; one more is a 503. @default DEFAULT_MAX_BACKGROUND_RUNS */
  maxRuns?: number;
  /** Where a run whose result could not be kept is reported (a closed database at shutdown). */
  onError(error: unknown, responseId: string): void;
}

/** One detached run, as the route describes it. */
export interface BackgroundRunSpec {
  head: ResponseHead;
  ids: OutputIds;
  /** Starts the generation on `signal`, streaming through the callbacks. */
  generate(signal: AbortSignal, onText: (text: string) => void, onToolCall: (delta: ToolCallDelta) => void, onTrace: (entries: ToolTraceEntry[]) => void): Promise<GenerationResult>;
  /** Throws when the finished answer is not what was asked for (structured output). */
  check(result: GenerationResult): void;
  /** Keeps the response in the state it reached: each status change, and the end (store, conversation). */
  keep(response: ResponseObject): Promise<void> | void;
}

interface LiveRun {
  controller: AbortController;
  events: ResponseEventStream;
  status: "queued" | "in_progress";
  /** Set by cancel or delete: the run's own end keeps nothing. */
  ended: boolean;
  keep: BackgroundRunSpec["keep"];
  done: Promise<void>;
}

/** The background responses of one server. */
export class BackgroundRuns {
  private readonly live = new Map<string, LiveRun>();
  private readonly maxRuns: number;

  constructor(private readonly options: BackgroundRunsOptions) {
    this.maxRuns = options.maxRuns ?? DEFAULT_MAX_BACKGROUND_RUNS;
  }

  /** Runs in progress. */
  get size(): number {
    return this.live.size;
  }

  /**
   * Keeps the response as `queued` and starts it; returns it as the client first sees it.
   * @throws ShimmyError `server_overloaded` (503) when `maxRuns` runs are in progress.
   */
  async start(spec: BackgroundRunSpec): Promise<ResponseObject> {
    if (this.live.size >= this.maxRuns) {
      throw retryLater(`${this.maxRuns} background responses are already running on this server; retry when one has finished, or send the request without background.`);
    }
    const events = new ResponseEventStream(spec.head, spec.ids);
    const queued = events.snapshot("queued");
    await spec.keep(queued);
    const run: LiveRun = { controller: new AbortController(), events, status: "queued", ended: false, keep: spec.keep, done: Promise.resolve() };
    this.live.set(spec.head.id, run);
    run.done = this.run(spec, run).finally(() => this.live.delete(spec.head.id));
    return queued;
  }

  private async run(spec: BackgroundRunSpec, run: LiveRun): Promise<void> {
    const { events } = run;
    const id = spec.head.id;
    const keep = async (response: ResponseObject) => {
      try {
        await spec.keep(response);
      } catch (err) {
        this.options.onError(err, id);
      }
    };
    let result: GenerationResult;
    try {
      const generation = spec.generate(
        run.controller.signal,
        (text) => events.text(text),
        (delta) => events.toolCall(delta),
        (entries) => events.pluginCalls(entries),
      );
      // Handed to the engine, where it waits for a slot as any request does.
      run.status = "in_progress";
      await keep(events.snapshot("in_progress"));
      result = await generation;
      spec.check(result);
    } catch (err) {
      if (run.ended) return;
      run.ended = true;
      const { code, message } = run.controller.signal.aborted ? INTERRUPTED : toErrorResponse(err).body.error;
      await keep(events.snapshot("failed", { code, message }));
      return;
    }
    if (run.ended) return;
    run.ended = true;
    events.finish(result);
    await keep(responseObject(spec.head, { status: finalStatus(result), result, output: events.output }));
  }

  /** The response as it stands while it runs, or null when `id` is not running here. */
  snapshot(id: string): ResponseObject | null {
    const run = this.live.get(id);
    return run && !run.ended ? run.events.snapshot(run.status) : null;
  }

  /**
   * Stops a running response and keeps it `cancelled`, with the output it had; resolves to it, or
   * to null when `id` is not running here. `keep: false` stops it keeping anything (it is being deleted).
   */
  async cancel(id: string, keep = true): Promise<ResponseObject | null> {
    const run = this.live.get(id);
    if (!run || run.ended) return null;
    run.ended = true;
    run.controller.abort();
    const response = run.events.snapshot("cancelled");
    if (keep) await run.keep(response);
    return response;
  }

  /** Aborts every run; each is left `failed` (with why) where it can still be kept. Resolves once all ended. */
  async dispose(): Promise<void> {
    for (const run of this.live.values()) run.controller.abort(new Error("the server stopped"));
    await Promise.all([...this.live.values()].map((run) => run.done));
  }
}
