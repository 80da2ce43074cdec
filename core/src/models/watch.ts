/**
 * Watches the model roots and reports, debounced, when files appear, change or disappear, so the
 * server can rediscover (cheap: unchanged headers come from the cache).
 *
 * Every folder is watched on its own (non-recursive `fs.watch`) down to {@link WATCH_DEPTH} levels:
 * that behaves the same on every platform, and stays bounded where Node 20's recursive mode on Linux
 * walks and watches a whole tree. When an event arrives the folder list is taken again, so new
 * subfolders (a new Hugging Face repository, a new Ollama namespace) are watched too. Folders named
 * `blobs` are not watched: downloads write there first, and the snapshot link or manifest that
 * follows is what makes a model appear. Dot folders are skipped as in discovery. A root that does
 * not exist is skipped (watching the nearest parent would watch e.g. all of `~`); it is picked up by
 * the next call, e.g. after `POST /api/models/discover`.
 */
import fs from "node:fs";
import path from "node:path";
import type { ModelRoot } from "./roots.js";
import { readFolder } from "./walk.js";

/** Folder levels below a root that are watched (Hugging Face: `models--X/snapshots/REV/SUB/SUB`). */
export const WATCH_DEPTH = 5;

/** Options of {@link watchModelRoots}. */
export interface WatchOptions {
  /** Quiet time after the last event before `onChange` runs. @default 300 */
  debounceMs?: number;
  /** Receives errors of the watchers themselves (the OS limit on watches, say); they never throw. */
  onError?: (error: Error) => void;
}

/** Folders to watch under `root`, root first; none when it does not exist. */
async function foldersUnder(root: string): Promise<string[]> {
  const out: string[] = [];
  const visit = async (dir: string, depth: number) => {
    let dirs: string[];
    try {
      ({ dirs } = await readFolder(dir));
    } catch {
      return;
    }
    out.push(dir);
    if (depth >= WATCH_DEPTH) return;
    for (const name of dirs) if (name !== "blobs") await visit(path.join(dir, name), depth + 1);
  };
  await visit(root, 0);
  return out;
}

/** Stops every watcher when called; `ready` settles once the first watchers are in place. */
export type ModelRootsWatcher = (() => void) & { ready: Promise<void> };

/**
 * Watches `roots` (from `modelRoots`, or plain paths) and calls `onChange` once per burst of changes.
 * A root that is a file is watched as a file.
 */
export function watchModelRoots(
  roots: readonly (ModelRoot | string)[],
  onChange: () => void,
  { debounceMs = 300, onError }: WatchOptions = {},
): ModelRootsWatcher {
  const paths = [...new Set(roots.map((r) => (typeof r === "string" ? r : r.path)))];
  const watchers = new Map<string, fs.FSWatcher>();
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let reported = false;
  const report = (err: Error) => {
    // One report: a full inotify table fails every further watch with the same error.
    if (!reported) onError?.(err);
    reported = true;
  };

  const watch = (target: string) => {
    if (closed || watchers.has(target)) return;
    try {
      const watcher = fs.watch(target, { persistent: false }, schedule);
      watcher.on("error", () => {
        // The folder went away (or its watch broke): drop it; the next sync adds it back if it returns.
        watcher.close();
        watchers.delete(target);
        schedule();
      });
      watchers.set(target, watcher);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") report(err as Error);
    }
  };

  /** Watches what exists now and forgets what is gone. */
  const sync = async () => {
    const wanted = new Set<string>();
    for (const root of paths) {
      const stat = await fs.promises.stat(root).catch(() => null);
      if (stat?.isFile()) wanted.add(root);
      else if (stat?.isDirectory()) for (const dir of await foldersUnder(root)) wanted.add(dir);
    }
    if (closed) return;
    for (const [target, watcher] of watchers) {
      if (!wanted.has(target)) {
        watcher.close();
        watchers.delete(target);
      }
    }
    for (const target of wanted) watch(target);
  };

  function schedule() {
    if (closed) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      void sync().then(() => {
        if (!closed) onChange();
      }, (err: unknown) => report(err as Error));
    }, debounceMs);
  }

  const ready = sync().catch((err: unknown) => report(err as Error));
  const dispose = () => {
    closed = true;
    clearTimeout(timer);
    for (const watcher of watchers.values()) watcher.close();
    watchers.clear();
  };
  return Object.assign(dispose, { ready });
}
