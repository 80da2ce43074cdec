/**
 * The logger of the server: on stderr (stdout carries only machine-readable lines), either JSON lines
 * for programs or short lines for a person (`--log-format`). pino, because it is the fastest
 * well-kept JSON logger for Node and writes without blocking the event loop on a busy server; the
 * text format is pino's JSON read back by {@link TextLogStream}, so the rest of the code logs one way.
 */
import { pino, type Logger } from "pino";
import { colorFromEnv, type LogFormat, type LogLevel } from "./config/index.js";
import { TextLogStream } from "./log-format/text-stream.js";

export type { Logger } from "pino";

/** Options of {@link createLogger}. */
export interface CreateLoggerOptions {
  /** Where colour settings are read (`NO_COLOR`, `FORCE_COLOR`). @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Whether stderr is a terminal, which `auto` and colours depend on. @default process.stderr.isTTY */
  isTTY?: boolean;
}

/** `auto` resolved: text on a terminal, where a person reads it; JSON anywhere else. */
export function resolveLogFormat(format: LogFormat, isTTY: boolean): "text" | "json" {
  return format === "auto" ? (isTTY ? "text" : "json") : format;
}

/** A logger that writes to stderr at `level` and above, as JSON lines or, with `text`, as lines for a person. */
export function createLogger(level: LogLevel, format: LogFormat = "json", options: CreateLoggerOptions = {}): Logger {
  const isTTY = options.isTTY ?? process.stderr.isTTY === true;
  const settings = { level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime };
  if (resolveLogFormat(format, isTTY) === "json") return pino(settings, pino.destination({ fd: 2, sync: false }));
  // Synchronous: a person's console carries few lines, and the last ones before a crash matter most.
  const out = pino.destination({ fd: 2, sync: true });
  return pino(settings, new TextLogStream({ out, color: colorFromEnv(options.env ?? process.env, isTTY) }));
}
