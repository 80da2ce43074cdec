/**
 * Ollama's `keep_alive`: how long a model stays loaded after its last request. A duration string
 * (`"5m"`, `"1h30m"`, `"10s"`, `"250ms"`), a number of seconds, `0` (unload right after the request)
 * or any negative value (keep it loaded).
 */
import { ShimmyError } from "../errors.js";

/** Milliseconds to keep a model loaded after its last request; null keeps it loaded for good. */
export type KeepAlive = number | null;

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parses a `keep_alive` value.
 * @throws ShimmyError `invalid_parameter` naming `param` when it is neither a duration nor a number.
 */
export function parseKeepAlive(value: unknown, param = "keep_alive"): KeepAlive {
  if (typeof value === "number" && Number.isFinite(value)) return value < 0 ? null : Math.round(value * 1000);
  if (typeof value === "string") {
    const text = value.trim();
    if (/^-?\d+(\.\d+)?$/.test(text)) return parseKeepAlive(Number(text), param);
    if (/^-/.test(text)) return null;
    const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
    if (parts.length > 0 && parts.map((p) => p[0]).join("") === text) {
      return Math.round(parts.reduce((total, [, amount, unit]) => total + Number(amount) * UNITS[unit!]!, 0));
    }
  }
  throw new ShimmyError("invalid_parameter", `${param} must be a duration such as "5m", "30s" or "1h", a number of seconds, 0 or -1`, { param });
}

/** A keep-alive for humans: `5m`, `1h30m`, `never`. */
export function formatKeepAlive(keepAlive: KeepAlive): string {
  if (keepAlive === null) return "forever";
  if (keepAlive % 60_000 === 0) return `${keepAlive / 60_000}m`;
  return keepAlive % 1000 === 0 ? `${keepAlive / 1000}s` : `${keepAlive}ms`;
}
