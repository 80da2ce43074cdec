/**
 * The destination pino writes to under `--log-format text`: it reads each JSON line back and writes
 * the line a person reads ({@link formatLogLine}), or the banner for the `listening` record.
 */
import { paint, type Paint } from "./ansi.js";
import { bannerInfo, formatBanner } from "./banner.js";
import { formatLogLine, LEVELS, type LogRecord } from "./text-line.js";

/** Where the text goes: stderr, or an array in a test. */
export interface TextSink {
  write(text: string): unknown;
}

/** Options of {@link TextLogStream}. */
export interface TextLogStreamOptions {
  out: TextSink;
  /** ANSI colours (see `colorFromEnv`). @default false */
  color?: boolean;
}

/**
 * A pino destination writing text. Until the banner, the start-up records the banner sums up
 * (models discovered, plugins loaded, llama.cpp ready) are held back rather than said twice;
 * warnings and errors always show.
 */
export class TextLogStream {
  private readonly out: TextSink;
  private readonly paint: Paint;
  private listening = false;
  private backend: string | undefined;

  constructor(options: TextLogStreamOptions) {
    this.out = options.out;
    this.paint = paint(options.color ?? false);
  }

  /** Takes one line as pino writes it (JSON and a newline). */
  write(line: string): void {
    let record: LogRecord;
    try {
      record = JSON.parse(line) as LogRecord;
    } catch {
      this.out.write(line.endsWith("\n") ? line : `${line}\n`);
      return;
    }
    const text = this.format(record);
    if (text !== null) this.out.write(text);
  }

  private format(record: LogRecord): string | null {
    if (record.event === "listening") {
      this.listening = true;
      return formatBanner(bannerInfo(record, this.backend), this.paint);
    }
    if (!this.listening && record.level < LEVELS.warn) {
      if (record.event === "engine_ready") {
        const threads = typeof record.threads === "number" ? record.threads : 0;
        this.backend = `${String(record.gpu)}, ${threads} thread${threads === 1 ? "" : "s"}`;
        return null;
      }
      if (record.event === "discovered" || record.event === "plugins_loaded") return null;
    }
    const line = formatLogLine(record, this.paint);
    return line === null ? null : `${line}\n`;
  }
}
