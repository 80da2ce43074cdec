/**
 * Progress of a long operation (a model load) on stderr: a bar redrawn in place on a terminal,
 * and a few plain percent lines otherwise (a log file or a CI job has no use for `\r` redraws).
 *
 * Written here rather than taken from a library: it is one line of text, and the libraries
 * (cli-progress, progress) bring templates, multi-bars and colors this does not need.
 */

/** Where progress is written: stderr, or a fake of it in tests. */
export interface ProgressStream {
  write(text: string): unknown;
  /** True on a terminal: the bar is drawn then. */
  isTTY?: boolean;
  /** The terminal's width; the line is cut to fit, since a wrapped line cannot be redrawn with `\r`. */
  columns?: number;
}

/** Options of {@link createProgress}. */
export interface ProgressOptions {
  /** What is in progress, after the percent: `loading ID`. */
  label: string;
  stream: ProgressStream;
  /** Draw the bar; defaults to `stream.isTTY`. */
  tty?: boolean;
  /** The shortest time between two redraws of the bar, in ms: about 10 per second. */
  intervalMs?: number;
  /** Cells inside the brackets. */
  width?: number;
  /** The clock, for tests. */
  now?: () => number;
}

/** Reports progress; {@link Progress.finish} must be called once it is over, whether it succeeded or not. */
export interface Progress {
  /** The fraction done, 0 to 1 (clamped); `label` replaces the label (a download's bytes, rate and ETA). */
  update(fraction: number, label?: string): void;
  /** Clears the bar (the terminal line is left empty for what follows). */
  finish(): void;
}

/** Steps between two plain percent lines: at most 11 lines per operation. */
const PERCENT_LINE_STEP = 10;

function clamp(fraction: number): number {
  return Math.min(1, Math.max(0, fraction));
}

/** Whole percent, rounded down so that 100% means done. */
function percentOf(fraction: number): number {
  return Math.floor(clamp(fraction) * 100);
}

/** One frame of the bar, without the leading `\r`: `[########............]  42% loading ID`. */
export function renderProgressBar(fraction: number, label: string, width = 20, columns?: number): string {
  const filled = Math.floor(clamp(fraction) * width);
  const line = `[${"#".repeat(filled)}${".".repeat(width - filled)}] ${String(percentOf(fraction)).padStart(3)}% ${label}`;
  // Leave the last column free: writing into it makes some terminals wrap before the `\r`.
  return columns !== undefined && columns > 1 && line.length > columns - 1 ? line.slice(0, columns - 1) : line;
}

/** One plain progress line: `loading ID: 42%`. */
export function renderPercentLine(fraction: number, label: string): string {
  return `${label}: ${percentOf(fraction)}%\n`;
}

/** A bar on a terminal, percent lines elsewhere. */
export function createProgress(options: ProgressOptions): Progress {
  const tty = options.tty ?? options.stream.isTTY === true;
  return tty ? barProgress(options) : lineProgress(options);
}

function lineProgress({ stream, label: initialLabel }: ProgressOptions): Progress {
  let lastStep = -1;
  let label = initialLabel;
  return {
    update(fraction, newLabel) {
      if (Number.isNaN(fraction)) return;
      label = newLabel ?? label;
      const step = Math.floor(percentOf(fraction) / PERCENT_LINE_STEP);
      if (step <= lastStep) return;
      lastStep = step;
      stream.write(renderPercentLine(fraction, label));
    },
    finish() {},
  };
}

function barProgress({ stream, label: initialLabel, intervalMs = 100, width = 20, now = Date.now }: ProgressOptions): Progress {
  let current = 0;
  let label = initialLabel;
  let drawn: string | undefined;
  let lastDrawAt = -Infinity;
  let pending: NodeJS.Timeout | undefined;
  let finished = false;

  const draw = () => {
    pending = undefined;
    const frame = renderProgressBar(current, label, width, stream.columns);
    lastDrawAt = now();
    if (frame === drawn) return;
    drawn = frame;
    stream.write(`\r${frame}`);
  };

  return {
    update(fraction, newLabel) {
      if (finished || Number.isNaN(fraction)) return;
      current = clamp(fraction);
      label = newLabel ?? label;
      const wait = lastDrawAt + intervalMs - now();
      if (wait <= 0) draw();
      // Throttled: draw the latest value once the interval is over, so a pause in the events
      // never leaves an old value on screen. unref: a pending redraw must not keep Node alive.
      else pending ??= setTimeout(draw, wait).unref();
    },
    finish() {
      if (finished) return;
      finished = true;
      clearTimeout(pending);
      // Erase the whole line (`\x1b[2K`) and go back to its start.
      if (drawn !== undefined) stream.write("\r\x1b[2K");
    },
  };
}
