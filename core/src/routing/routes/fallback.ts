/**
 * Fallback: the candidates of a route tried in order, the next one serving when the one before
 * fails in a way the route's `retry_on` names, and only before its first output: once a token is
 * out, the answer belongs to that model and nothing switches.
 */
import { GenerationAborted } from "../../engine/types.js";
import { ShimmyError } from "../../errors.js";
import type { RouteFailureKind } from "./route-config.js";
import type { FallbackTried } from "./route-report.js";

/**
 * Codes that mean the model could not be had at all: missing, refused (invalid, or failed after
 * three crashes in a row), or its load failed.
 */
const LOAD_FAILURES: ReadonlySet<string> = new Set(["model_not_found", "model_invalid", "model_failed", "model_load_failed", "embeddings_unsupported"]);

/** The kind of a failure, or null when it must not fall back (the client left). */
export function failureKind(err: unknown, signal: AbortSignal): RouteFailureKind | null {
  if (signal.aborted || err instanceof GenerationAborted) return null;
  if (err instanceof ShimmyError) {
    if (LOAD_FAILURES.has(err.code)) return "load_failed";
    if (err.code === "server_overloaded") return "queue_full";
  }
  return "error";
}

/** A short name of an error for the log line: its code, or its message. */
export function errorLabel(err: unknown): string {
  if (err instanceof ShimmyError) return err.code;
  return err instanceof Error ? err.message : String(err);
}

/** Options of {@link runWithFallback}. */
export interface FallbackRun<T> {
  /** The models to try, in order. */
  order: readonly string[];
  retryOn: readonly RouteFailureKind[];
  signal: AbortSignal;
  /**
   * Runs the work on `model`; it calls `started()` on its first output, after which a failure is
   * final. Work with no output (an embedding, a session's opening) never calls it.
   */
  attempt(model: string, started: () => void): Promise<T>;
  /** Called when `model` takes over, before its attempt: the decision's served model so far. */
  onAttempt(model: string, tried: readonly FallbackTried[]): void;
}

/**
 * Tries `order` until one model serves.
 * @throws the last failure, when every candidate failed (or one failed after its first output, or
 *   in a way `retryOn` does not name).
 */
export async function runWithFallback<T>(run: FallbackRun<T>): Promise<T> {
  const tried: FallbackTried[] = [];
  for (let i = 0; ; i++) {
    const model = run.order[i]!;
    run.onAttempt(model, tried);
    let outputStarted = false;
    try {
      return await run.attempt(model, () => (outputStarted = true));
    } catch (err) {
      const kind = failureKind(err, run.signal);
      const last = i === run.order.length - 1;
      if (last || outputStarted || kind === null || !run.retryOn.includes(kind)) throw err;
      tried.push({ model, failure: kind, error: errorLabel(err) });
    }
  }
}
