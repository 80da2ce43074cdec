/**
 * The one parser of durations: Ollama's `keep_alive`, how long a model stays loaded after its last
 * request. A duration string (`"5m"`, `"1h30m"`, `"10s"`, `"250ms"`), a number of seconds, `0`
 * (unload right after the request) or any negative value (keep it loaded). The flag, the config
 * file, the request fields and the CLI all read it here, so they accept exactly the same values.
 */
import { ShimmyError } from "../errors.js";

/** Milliseconds to keep a model loaded after its last request; null keeps it loaded for good. */
export type KeepAlive = number | null;

/**
 * The longest delay a timer can wait (2^31 - 1 ms, about 24.9 days): Node fires a longer
 * `setTimeout` after 1 ms. A keep-alive this long or longer is kept for good instead.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The longest keep-alive accepted: Go's largest duration (2562047h, about 292 years), what Ollama
 * itself accepts. Anything longer is a mistake rather than a wish, and is refused.
 */
export const MAX_KEEP_ALIVE_MS = 2_562_047 * 3_600_000;

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
// Retention is counted in days (OpenAI keeps responses 30 days); keep_alive stays Ollama's units.
const RETENTION_UNITS: Record<string, number> = { ...UNITS, d: 86_400_000 };

/**
 * Parses a `keep_alive` value. Durations from {@link MAX_TIMER_MS} up to {@link MAX_KEEP_ALIVE_MS}
 * mean "keep it": they come back as null, as -1 does.
 * @throws ShimmyError `invalid_parameter` naming `param` when it is neither a duration nor a
 *   number, or is longer than {@link MAX_KEEP_ALIVE_MS}.
 */
export function parseKeepAlive(value: unknown, param = "keep_alive"): KeepAlive {
  const ms = toMilliseconds(value);
  if (ms === undefined) {
    throw new ShimmyError("invalid_parameter", `${param} must be a duration such as "5m", "30s" or "1h", a number of seconds, 0 or -1`, { param });
  }
  if (ms === null || ms >= MAX_TIMER_MS) {
    if (ms !== null && ms > MAX_KEEP_ALIVE_MS) {
      throw new ShimmyError("invalid_parameter", `${param} must be at most 2562047h (about 292 years); -1 keeps the model loaded for good`, { param });
    }
    return null;
  }
  return ms;
}

/**
 * Parses a retention period (`--response-ttl`): the same durations as {@link parseKeepAlive} plus
 * days (`30d`, `1d12h`); a negative value keeps for good (null). Returns milliseconds.
 * @throws ShimmyError `invalid_parameter` naming `param` when it is no duration, or is 0 (which
 *   would store responses only to hide them at once).
 */
export function parseRetention(value: unknown, param: string): number | null {
  const ms = toMilliseconds(value, RETENTION_UNITS);
  if (ms === undefined || ms === 0) {
    throw new ShimmyError("invalid_parameter", `${param} must be a duration such as "30d", "12h" or "90m", or -1 to keep for good`, { param });
  }
  return ms;
}

/** Milliseconds, null for "keep" (a negative value), undefined when `value` is no duration. */
function toMilliseconds(value: unknown, units: Record<string, number> = UNITS): number | null | undefined {
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return undefined;
    return value < 0 ? null : Math.round(value * 1000);
  }
  if (typeof value !== "string") return undefined;
  const text = value.trim();
  if (/^-?\d+(\.\d+)?$/.test(text)) return toMilliseconds(Number(text));
  if (/^-/.test(text)) return null;
  // Longest unit names first, so "ms" is not read as "m" then "s".
  const names = Object.keys(units).sort((a, b) => b.length - a.length).join("|");
  const parts = [...text.matchAll(new RegExp(`(\\d+(?:\\.\\d+)?)(${names})`, "g"))];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== text) return undefined;
  return Math.round(parts.reduce((total, [, amount, unit]) => total + Number(amount) * units[unit!]!, 0));
}

/** A keep-alive for humans: `5m`, `10s`, `forever`. */
export function formatKeepAlive(keepAlive: KeepAlive): string {
  if (keepAlive === null) return "forever";
  if (keepAlive % 60_000 === 0) return `${keepAlive / 60_000}m`;
  return keepAlive % 1000 === 0 ? `${keepAlive / 1000}s` : `${keepAlive}ms`;
}
