/**
 * After `shimmy plugin` changes the store, a running server reloads on its own, a moment later. So
 * that a tool call made right after the command already sees the change, the command waits until
 * the server it talks to (`--url`, `SHIMMY_URL`) reports, on `GET /api/plugins`, that it runs this
 * store at the new lock generation or a later one. No server there, or one running another store:
 * nothing to wait for.
 */
import { ApiClient, ApiError, ConnectionError } from "./api-client.js";

/** Options of {@link waitForServer}. */
export interface WaitForServerOptions {
  url: string;
  apiKey: string | null;
  /** The id of the store changed (layout.ts `storeId`). */
  storeId: string;
  /** The lock generation that committed the change. */
  generation: number;
  /** The longest wait in all. @default SERVER_SYNC_TIMEOUT_MS (15 s) */
  timeoutMs?: number;
  /** Between two polls. @default 25 */
  intervalMs?: number;
}

/** How a wait ended. */
export type WaitOutcome =
  /** The server runs the change. */
  | { state: "applied" }
  /** Nothing to wait for: no server answers, it runs another store, or it does not tell its generation. */
  | { state: "none" }
  /** The server still runs generation `seen` (null: it did not answer in time) after the whole wait. */
  | { state: "behind"; seen: number | null }
  /** The server answered with an error (a wrong API key, say). */
  | { state: "failed"; message: string };

/**
 * Longer than a plugin's start deadline (5 s), which a reload may have to wait out, yet short enough
 * that a server stuck in a reload does not hold the command for long.
 */
export const SERVER_SYNC_TIMEOUT_MS = 15_000;

/** Polls the server until it has applied `generation` of the store, or the wait runs out. */
export async function waitForServer(options: WaitForServerOptions): Promise<WaitOutcome> {
  const timeoutMs = options.timeoutMs ?? SERVER_SYNC_TIMEOUT_MS;
  const client = new ApiClient({ url: options.url, apiKey: options.apiKey, timeoutMs: Math.min(timeoutMs, 2000) });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let state = null;
    try {
      state = await client.pluginsState();
    } catch (error) {
      // Nothing listening there (or no such host): no server to wait for.
      if (error instanceof ConnectionError && error.reason !== "timeout") return { state: "none" };
      if (error instanceof ApiError) return error.status === 404 ? { state: "none" } : { state: "failed", message: error.message };
      if (!(error instanceof ConnectionError)) throw error;
      // A server too busy to answer in time: ask again while the wait lasts.
    }
    if (state) {
      if (typeof state.generation !== "number" || state.store_id !== options.storeId) return { state: "none" };
      if (state.generation >= options.generation) return { state: "applied" };
    }
    if (Date.now() >= deadline) return { state: "behind", seen: state?.generation ?? null };
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 25));
  }
}
