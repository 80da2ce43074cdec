/**
 * A runner's stderr: llama.cpp's messages (one line each, `LEVEL: text`, written by the runner) go
 * to the server's log, and the last lines are kept, because when llama.cpp aborts the process
 * (a `GGML_ASSERT`, an allocation failure) they are the only account of why.
 */
import type { Readable } from "node:stream";
import type { Logger } from "../../logger.js";

/** Lines kept for a crash report. */
const KEPT_LINES = 20;

/**
 * Its warnings are about llama.cpp's internals (a tokenizer quirk, an unused tensor), not
 * something the user can act on, so they are debug lines like the rest; its errors stay errors.
 */
const ERROR_LEVELS = new Set(["fatal", "error"]);

/** Reads a runner's stderr into the log and keeps its last lines. */
export class StderrTail {
  private readonly kept: string[] = [];
  private partial = "";

  constructor(stream: Readable, logger: Logger) {
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => {
      const lines = (this.partial + chunk).split("\n");
      this.partial = lines.pop() ?? "";
      for (const line of lines) this.take(line, logger);
    });
    stream.on("end", () => {
      if (this.partial) this.take(this.partial, logger);
      this.partial = "";
    });
  }

  /** The last lines, oldest first; a line still unterminated included. */
  lines(): string[] {
    return this.partial ? [...this.kept, this.partial] : [...this.kept];
  }

  private take(line: string, logger: Logger): void {
    const text = line.trimEnd();
    if (!text) return;
    this.kept.push(text);
    if (this.kept.length > KEPT_LINES) this.kept.shift();
    const level = /^([a-z]+): /.exec(text)?.[1];
    if (level && ERROR_LEVELS.has(level)) logger.error(text.slice(level.length + 2));
    else logger.debug(level ? text.slice(level.length + 2) : text);
  }
}
