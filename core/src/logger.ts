/**
 * The structured logger: JSON lines on stderr (stdout carries only machine-readable lines).
 * pino, because it is the fastest well-kept JSON logger for Node and writes without blocking
 * the event loop on a busy server.
 */
import { pino, type Logger } from "pino";
import type { LogLevel } from "./config/index.js";

export type { Logger } from "pino";

/** A logger that writes JSON lines to stderr at `level` and above. */
export function createLogger(level: LogLevel): Logger {
  return pino({ level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination({ fd: 2, sync: false }));
}
