/**
 * One short line per log record, for a person at a terminal (`--log-format text`): a request as
 * `200 POST /v1/chat/completions stories260K 60 tok 41 tok/s 1.2s`, the other events as a few words.
 * Pure: it reads a record pino wrote and returns text, or null for a record a person need not see.
 */
import type { Paint } from "./ansi.js";

/** One record as pino writes it: `level` (10 trace … 60 fatal), `msg`, and the logged fields. */
export type LogRecord = Record<string, unknown> & { level: number; msg?: string };

/** pino's numbers for its levels. */
export const LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;

const text = (value: unknown): string | undefined => (typeof value === "string" && value !== "" ? value : undefined);
const number = (value: unknown): number | undefined => (typeof value === "number" && Number.isFinite(value) ? value : undefined);

/** `850ms`, `1.2s`, `2m03s`: milliseconds as a person reads them. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, "0")}s`;
}

/** `512 B`, `1.2 MB`, `4.1 GB` (powers of 1024, as memory is counted). */
export function formatBytes(bytes: number): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

/**
 * Generation speed: the tokens after the first over the time after the first, as llama.cpp reports
 * its eval rate, so a long prompt does not hide how fast the model writes; over the whole request
 * when the time of the first token is unknown.
 */
export function tokensPerSecond(tokens: number, durationMs: number, ttftMs: number | undefined): number | null {
  if (tokens <= 0 || durationMs <= 0) return null;
  if (ttftMs !== undefined && tokens > 1 && durationMs > ttftMs) return ((tokens - 1) * 1000) / (durationMs - ttftMs);
  return (tokens * 1000) / durationMs;
}

function statusColor(status: number, p: Paint): (text: string) => string {
  if (status >= 500) return p.red;
  if (status >= 400) return p.yellow;
  return p.green;
}

/**
 * The line of one `request` record: status, method, route, model (or tool), completion tokens,
 * tokens/s, duration; the time to the first token on a stream, where a person waits for it; why it
 * ended early, when it did.
 */
export function formatRequestLine(record: LogRecord, p: Paint): string {
  const status = number(record.status) ?? 0;
  const parts = [statusColor(status, p)(String(status)), text(record.method) ?? "?", text(record.route) ?? "?"];
  const model = text(record.model) ?? text(record.tool);
  if (model) parts.push(p.cyan(model));
  const durationMs = number(record.durationMs) ?? 0;
  const ttftMs = number(record.ttftMs);
  const tokens = number(record.completionTokens);
  if (tokens !== undefined) {
    parts.push(`${tokens} tok`);
    const rate = tokensPerSecond(tokens, durationMs, ttftMs);
    if (rate !== null) parts.push(`${rate < 10 ? rate.toFixed(1) : Math.round(rate)} tok/s`);
  }
  parts.push(formatDuration(durationMs));
  if (record.stream === true && ttftMs !== undefined) parts.push(p.dim(`first token ${formatDuration(ttftMs)}`));
  const outcome = text(record.outcome);
  if (outcome) parts.push(p.yellow(outcome.replace("_", " ")));
  return parts.join(" ");
}

const UNLOAD_REASONS: Record<string, string> = { request: "asked", expired: "idle", evicted: "to make room", shutdown: "shutting down" };

/** The words of an event other than a request; undefined for one without its own wording. */
function eventWords(record: LogRecord, p: Paint): string | null | undefined {
  const model = text(record.model);
  switch (record.event) {
    case "model_load":
      return `loading ${p.cyan(model ?? "?")}`;
    case "model_loaded": {
      const bytes = number(record.memoryBytes);
      return `loaded ${p.cyan(model ?? "?")} in ${formatDuration(number(record.ms) ?? 0)}${bytes ? `, ${formatBytes(bytes)}` : ""}`;
    }
    case "model_unloaded": {
      const reason = UNLOAD_REASONS[text(record.reason) ?? ""];
      return `unloaded ${p.cyan(model ?? "?")}${reason ? ` (${reason})` : ""}`;
    }
    // A line per percent would bury the requests; `loading` and `loaded` frame the wait.
    case "model_load_progress":
      return null;
    case "plugins_loaded":
      return `plugins: ${pluginList(record.plugins)}`;
    case "plugin_call":
      return `tool ${text(record.plugin) ?? "?"}/${text(record.tool) ?? "?"} ${text(record.outcome) ?? ""} ${formatDuration(number(record.ms) ?? 0)}`;
    case "discovered":
      return `models rescanned: ${number(record.models) ?? 0} found`;
    case "shutdown":
      return `shutting down (${text(record.signal) ?? "signal"})`;
    default:
      return undefined;
  }
}

/** `calculator, time, web-search (error)`: ready plugins by name, the others with their status. */
export function pluginList(plugins: unknown): string {
  if (!Array.isArray(plugins)) return "none";
  const names = plugins
    .filter((plugin): plugin is { name: string; status?: string } => typeof plugin === "object" && plugin !== null && typeof plugin.name === "string")
    .filter((plugin) => plugin.status !== "disabled")
    .map((plugin) => (plugin.status === "ready" || plugin.status === undefined ? plugin.name : `${plugin.name} (${plugin.status})`));
  return names.length > 0 ? names.join(", ") : "none";
}

function levelLabel(level: number, p: Paint): string {
  if (level >= LEVELS.error) return p.red(level >= LEVELS.fatal ? "fatal " : "error ");
  if (level >= LEVELS.warn) return p.yellow("warn ");
  if (level >= LEVELS.info) return "";
  return p.dim(level >= LEVELS.debug ? "debug " : "trace ");
}

/**
 * The line of any record: {@link formatRequestLine} for a request, else its level when not info,
 * the component (`llama.cpp: `), and its own words or its message, with the error's message after
 * it. Null for a record a person need not see (load progress).
 */
export function formatLogLine(record: LogRecord, p: Paint): string | null {
  if (record.event === "request") return formatRequestLine(record, p);
  const words = eventWords(record, p);
  if (words === null) return null;
  const component = text(record.component);
  const err = record.err as { message?: unknown } | undefined;
  const errMessage = typeof err === "object" && err !== null ? text(err.message) : undefined;
  let message = words ?? text(record.msg) ?? JSON.stringify({ ...record, level: undefined, time: undefined });
  if (errMessage && !message.includes(errMessage)) message += `: ${errMessage}`;
  return `${levelLabel(record.level, p)}${component ? p.dim(`${component}: `) : ""}${message}`;
}

