/**
 * Human output of `shimmy models`: sizes, durations, expiry times and its tables (laid out by
 * `table.ts`). Pure functions of their inputs (the clock is a parameter), so the exact text is
 * unit-tested.
 */
import type { ApiModel, LoadResult } from "./api-client.js";
import { renderTable } from "./table.js";

const BYTE_UNITS = ["B", "KB", "MB", "GB", "TB", "PB"] as const;

/**
 * Bytes in decimal units, as disks and model hubs count them (`4.7 GB`, `398 MB`): one decimal
 * below 10, whole numbers above.
 */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes) || bytes < 0) return "-";
  let value = bytes;
  let unit = 0;
  // Pick the unit after rounding, so 999.6 MB reads "1.0 GB", not "1000 MB".
  while (unit < BYTE_UNITS.length - 1 && roundForDisplay(value) >= 1000) {
    value /= 1000;
    unit++;
  }
  if (unit === 0) return `${Math.round(value)} B`;
  const text = value < 9.95 ? value.toFixed(1) : String(Math.round(value));
  return `${text} ${BYTE_UNITS[unit]}`;
}

function roundForDisplay(value: number): number {
  return value < 9.95 ? Math.round(value * 10) / 10 : Math.round(value);
}

/**
 * A span of time in its two largest units, the way people read a countdown: `42s`, `4m 12s`,
 * `2h 5m`, `3d 4h`. A zero second unit is left out (`5m`).
 */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const days = Math.floor(total / 86_400);
  const hours = Math.floor((total % 86_400) / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const pair = (a: number, aUnit: string, b: number, bUnit: string) => (b === 0 ? `${a}${aUnit}` : `${a}${aUnit} ${b}${bUnit}`);
  if (days > 0) return pair(days, "d", hours, "h");
  if (hours > 0) return pair(hours, "h", minutes, "m");
  if (minutes > 0) return pair(minutes, "m", seconds, "s");
  return `${seconds}s`;
}

/** How long something took: `350ms` below a second, else `1.2s`. */
export function formatElapsed(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)}ms` : `${(ms / 1000).toFixed(1)}s`;
}

/**
 * When a loaded model unloads: `in 4m 12s`, `never` (no expiry: keep-alive -1), or `now` once the
 * time has passed (the server unloads it on its next sweep).
 */
export function formatExpiry(expiresAt: string | null | undefined, now: number): string {
  if (expiresAt === null || expiresAt === undefined) return "never";
  const at = Date.parse(expiresAt);
  if (Number.isNaN(at)) return expiresAt; // show what the server said rather than hide it
  return at <= now ? "now" : `in ${formatDuration(at - now)}`;
}

/** The STATUS cell of a model: `invalid: REASON`, `loaded, expires in 4m`, `loaded, never expires` or `available`. */
export function modelStatus(model: ApiModel, now: number): string {
  if (model.invalid_reason) return `invalid: ${model.invalid_reason}`;
  if (!model.loaded) return "available";
  return model.expires_at === null || model.expires_at === undefined
    ? "loaded, never expires"
    : `loaded, expires ${formatExpiry(model.expires_at, now)}`;
}

/** The table of `shimmy models list` and `discover`: every model the server found. */
export function formatModelsTable(models: readonly ApiModel[], now: number): string {
  if (models.length === 0) return "No models found.\n";
  return renderTable(
    ["ID", "SIZE", "QUANT", "ARCH", "CONTEXT", "STATUS"],
    models.map((model) => [
      model.id,
      formatBytes(model.size_bytes),
      model.quantization ?? "-",
      model.architecture ?? "-",
      model.context_length === null || model.context_length === undefined ? "-" : String(model.context_length),
      modelStatus(model, now),
    ]),
  );
}

/** The table of `shimmy models ps`: the loaded models only, with memory and expiry. */
export function formatPsTable(models: readonly ApiModel[], now: number): string {
  const loaded = models.filter((model) => model.loaded);
  if (loaded.length === 0) return "No models loaded.\n";
  return renderTable(
    ["ID", "MEMORY", "EXPIRES"],
    loaded.map((model) => [model.id, formatBytes(model.memory_bytes), formatExpiry(model.expires_at, now)]),
  );
}

/** The line `shimmy models load` prints: `Loaded ID in 1.2s (memory 1.3 GB, expires in 5m)`. */
export function formatLoadResult(result: LoadResult, now: number): string {
  const details: string[] = [];
  if (result.memory_bytes !== null && result.memory_bytes !== undefined) details.push(`memory ${formatBytes(result.memory_bytes)}`);
  details.push(result.expires_at === null || result.expires_at === undefined ? "never expires" : `expires ${formatExpiry(result.expires_at, now)}`);
  const took = typeof result.load_ms === "number" ? ` in ${formatElapsed(result.load_ms)}` : "";
  return `Loaded ${result.model}${took} (${details.join(", ")})\n`;
}
