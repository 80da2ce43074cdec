/**
 * Notices when the served tool list changes (a plugin installed, removed, disabled, reloaded with
 * other tools, or marked failed). `InstalledPlugins` has no change event, and a failure can come
 * from a worker with no store change at all, so the list itself is compared on a short timer: a
 * few plugins' summaries, cheap to read.
 */
import { mcpTools, type McpToolSource } from "./plugin-tools.js";

/** Options of {@link watchToolList}. */
export interface ToolListWatchOptions {
  source: McpToolSource;
  /** Called once per change, after the new list is in place. */
  onChange(): void;
  /** How often the list is compared. @default 500 */
  intervalMs?: number;
}

/** What a client sees of the list: the tools' names and definitions. */
function fingerprint(source: McpToolSource): string {
  return JSON.stringify(mcpTools(source).map((t) => t.tool));
}

/**
 * Starts comparing; returns the function that stops. The timer is unref'd: it never keeps a
 * process alive on its own.
 */
export function watchToolList(options: ToolListWatchOptions): () => void {
  let last = fingerprint(options.source);
  const timer = setInterval(() => {
    const next = fingerprint(options.source);
    if (next === last) return;
    last = next;
    options.onChange();
  }, options.intervalMs ?? 500);
  timer.unref();
  return () => clearInterval(timer);
}
