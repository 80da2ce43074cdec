/**
 * The live view of `shimmy workflow run` on stderr, fed the run's server-sent events. On a terminal
 * it is the step table (one line per step: status, attempts, time, result) redrawn in place as the
 * run goes, with notes under it; elsewhere (a log, a CI job) it writes one plain line per thing
 * that happened to a step, and the table once at the end. Either way the last frame is drawn from
 * the ended run as the server reports it, so it shows the journal's attempts, times and tokens.
 */
import type { ProgressStream } from "./progress.js";
import type { RunEvent, RunView } from "./workflow-client.js";
import { errorText, formatSpan, runState, stepCells, stepRowOf, type StepRow } from "./workflow-format.js";
import { renderTable } from "./table.js";

/** Where the view is drawn: stderr, or a fake of it in tests. */
export interface LiveStream extends ProgressStream {
  /** The terminal's height: a table taller than it cannot be redrawn in place, so it is shortened. */
  rows?: number;
}

/** Options of {@link LiveRunView}. */
export interface LiveRunViewOptions {
  stream: LiveStream;
  /** The steps of the document, in its order: drawn `pending` until they start. */
  steps: readonly { id: string; uses: string }[];
  /** Redraw in place; defaults to `stream.isTTY`. */
  tty?: boolean;
  /** The shortest time between two redraws, in ms. @default 100 */
  intervalMs?: number;
  /** The clock, in ms since the epoch. */
  now?: () => number;
}

/** Per step, what the events told: the row, and each `foreach` item's state. */
interface LiveStep {
  row: StepRow;
  items: Map<number, "running" | "done" | "retrying">;
}

const HEADERS = ["STEP", "USES", "STATUS", "ATTEMPTS", "TIME", "TOKENS", "RESULT"];
/** Time shown by running steps moves on even without events. */
const TICK_MS = 1000;

/** See the module comment; {@link finish} must be called once, whether the run ended or not. */
export class LiveRunView {
  private readonly steps = new Map<string, LiveStep>();
  private readonly notes: string[] = [];
  private readonly tty: boolean;
  private readonly now: () => number;
  private readonly intervalMs: number;
  private runId: string | null = null;
  /** When the run started, by this clock; then how it ended, once it has. */
  private startedAt = 0;
  private headline: string | null = null;
  private drawnLines = 0;
  private lastDrawAt = -Infinity;
  private pending: NodeJS.Timeout | undefined;
  private ticker: NodeJS.Timeout | undefined;
  private finished = false;

  constructor(private readonly options: LiveRunViewOptions) {
    this.tty = options.tty ?? options.stream.isTTY === true;
    this.now = options.now ?? Date.now;
    this.intervalMs = options.intervalMs ?? 100;
    for (const step of options.steps) this.stepOf(step.id, step.uses);
  }

  /** Takes one event of the run. */
  handle(event: RunEvent): void {
    if (this.finished) return;
    const now = this.now();
    switch (event.type) {
      case "run.started":
        this.runId = event.run_id;
        this.startedAt = now;
        this.line(`run ${event.run_id} ${event.resumed ? "resumed" : "started"}`);
        if (this.tty) this.ticker ??= setInterval(() => this.draw(), TICK_MS).unref();
        break;
      case "step.started": {
        const step = this.stepOf(event.step);
        step.row.status = "running";
        step.row.startedAt ??= now;
        step.row.attempts++;
        delete step.row.retryInMs;
        if (event.index !== null) step.items.set(event.index, "running");
        if (event.index === null || event.attempt > 1) this.line(`${label(event.step, event.index)} started${event.attempt > 1 ? ` (attempt ${event.attempt})` : ""}`);
        break;
      }
      case "step.output": {
        const step = this.stepOf(event.step);
        if (event.index !== null) {
          step.items.set(event.index, "done");
          this.countItems(step);
          break;
        }
        Object.assign(step.row, { status: "succeeded", finishedAt: now, output: event.output, error: null });
        if (step.row.items) step.row.items.total = step.row.items.done;
        const items = step.row.items ? `, ${step.row.items.done} items` : "";
        this.line(`${event.step} succeeded in ${formatSpan(now - (step.row.startedAt ?? now))}${items}`);
        break;
      }
      case "step.skipped":
        Object.assign(this.stepOf(event.step).row, { status: "skipped", finishedAt: now });
        this.line(`${event.step} skipped (its if was false)`);
        break;
      case "step.retried": {
        const step = this.stepOf(event.step);
        Object.assign(step.row, { status: "retrying", error: event.error, retryInMs: event.delay_ms });
        if (event.index !== null) step.items.set(event.index, "retrying");
        this.line(`${label(event.step, event.index)} attempt ${event.attempt} failed (${event.error.code}: ${event.error.message}); retrying in ${formatSpan(event.delay_ms)}`);
        break;
      }
      case "step.failed":
        Object.assign(this.stepOf(event.step).row, { status: "failed", finishedAt: now, error: event.error });
        this.line(`${label(event.step, event.index)} failed after ${event.attempt} attempt${event.attempt === 1 ? "" : "s"}: ${errorText({ ...event.error, ...(event.index === null ? {} : { index: event.index }) })}`);
        break;
      case "run.finished":
        break;
    }
    this.schedule();
  }

  /** A line under the table (a terminal), or written as it is (elsewhere). */
  note(text: string): void {
    if (this.finished) return;
    if (!this.tty) {
      this.options.stream.write(`${text}\n`);
      return;
    }
    this.notes.push(text);
    this.schedule();
  }

  /**
   * Draws the last frame: the steps as the ended run reports them (or as the events left them,
   * when the run did not end while watched), and a line saying how the run ended.
   */
  finish(run: RunView | null): void {
    if (this.finished) return;
    clearTimeout(this.pending);
    clearInterval(this.ticker);
    this.finished = true;
    // A run refused before it started has nothing to show: the error says it all.
    if (!run && this.runId === null) return;
    if (run?.steps) for (const step of run.steps) this.stepOf(step.id, step.uses).row = stepRowOf(step);
    if (run) this.headline = `run ${run.id} ${runState(run, this.now())}`;
    if (this.tty) this.draw();
    else this.options.stream.write(this.frame().join("\n") + "\n");
  }

  private stepOf(id: string, uses = "?"): LiveStep {
    let step = this.steps.get(id);
    if (!step) {
      step = { row: { id, uses, status: "pending", attempts: 0, startedAt: null, finishedAt: null }, items: new Map() };
      this.steps.set(id, step);
    }
    return step;
  }

  private countItems(step: LiveStep): void {
    const done = [...step.items.values()].filter((state) => state === "done").length;
    step.row.items = { done, total: null };
    if (step.row.status === "retrying" && ![...step.items.values()].includes("retrying")) step.row.status = "running";
  }

  /** A line of what happened, for a log; on a terminal the table says it. */
  private line(text: string): void {
    if (!this.tty) this.options.stream.write(`${text}\n`);
  }

  /** The table and the notes, fitted to the terminal's height. */
  private frame(): string[] {
    const now = this.now();
    const { rows, summary } = this.fit([...this.steps.values()].map((step) => step.row));
    const table = renderTable(HEADERS, rows.map((row) => stepCells(row, now))).trimEnd().split("\n");
    const headline = this.headline ?? (this.runId === null ? null : `run ${this.runId} running for ${formatSpan(now - this.startedAt)}`);
    return [...table, ...(summary ? [summary] : []), ...(headline === null ? [] : [headline]), ...this.notes];
  }

  /** Steps past the terminal's height are summed up in one line; running and failed steps are kept first. */
  private fit(rows: StepRow[]): { rows: StepRow[]; summary?: string } {
    const height = this.tty ? this.options.stream.rows : undefined;
    // The header, the summary, the headline and the notes take room too.
    const room = height === undefined ? Infinity : Math.max(1, height - 4 - this.notes.length);
    if (rows.length <= room) return { rows };
    const urgent = (row: StepRow) => row.status === "running" || row.status === "retrying" || row.status === "failed";
    const kept = new Set([...rows.filter(urgent), ...rows.filter((row) => !urgent(row))].slice(0, room));
    const hidden = rows.filter((row) => !kept.has(row));
    const counts = new Map<string, number>();
    for (const row of hidden) counts.set(row.status, (counts.get(row.status) ?? 0) + 1);
    return { rows: rows.filter((row) => kept.has(row)), summary: `… ${hidden.length} more steps (${[...counts].map(([status, n]) => `${n} ${status}`).join(", ")})` };
  }

  /** Redraws now, or once the interval since the last redraw is over. */
  private schedule(): void {
    if (!this.tty || this.finished) return;
    const wait = this.lastDrawAt + this.intervalMs - this.now();
    if (wait <= 0) this.draw();
    else this.pending ??= setTimeout(() => this.draw(), wait).unref();
  }

  /** Moves up over the last frame, erases it, and writes the new one, each line cut to the terminal's width. */
  private draw(): void {
    this.pending = undefined;
    this.lastDrawAt = this.now();
    const columns = this.options.stream.columns;
    const lines = this.frame().map((line) => (columns !== undefined && columns > 1 && line.length > columns - 1 ? line.slice(0, columns - 1) : line));
    const up = this.drawnLines > 0 ? `\x1b[${this.drawnLines}A` : "";
    this.options.stream.write(`${up}\r\x1b[J${lines.join("\n")}\n`);
    this.drawnLines = lines.length;
  }

  /** The run's id, once its first event came. */
  get id(): string | null {
    return this.runId;
  }
}

/** `each[2]` for an item of a `foreach`, the step's id otherwise. */
function label(step: string, index: number | null): string {
  return index === null ? step : `${step}[${index}]`;
}
