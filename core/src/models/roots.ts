/**
 * Where models are looked for, in scan order. Every root comes from the `env` object and `cwd` the
 * caller passes, never from `process.env`, so tests point every root at a temporary folder.
 */
import path from "node:path";
import { homeFromEnv, hubCacheFromEnv, modelPathsFromEnv, shimmyHomeFromEnv } from "../config/environment.js";
import { packagedDemoDir } from "./demo-root.js";
import type { ModelSource } from "./types.js";

/** How a root's files are laid out, which decides how they are listed and named. */
export type RootLayout = "file" | "files" | "lmstudio" | "huggingface" | "ollama" | "llama.cpp";

/** One place to scan. */
export interface ModelRoot {
  source: ModelSource;
  /** Absolute path of a folder, or of one file (`--model`, a file in `SHIMMY_MODEL_PATHS`). */
  path: string;
  /** `file`: one `--model` file; `files`: a folder of GGUF files, or one file; the others: that tool's cache. */
  layout: RootLayout;
  /**
   * Named by the user (`--model`, `SHIMMY_MODEL_PATHS`, `--models-dir`): a file is taken whatever its
   * extension, and a path that does not exist is reported.
   */
  explicit?: boolean;
}

/** The environment variables discovery reads. */
export type DiscoveryEnv = Partial<Record<
  "HOME" | "USERPROFILE" | "SHIMMY_HOME" | "SHIMMY_MODEL_PATHS" | "HF_HUB_CACHE" | "HUGGINGFACE_HUB_CACHE" | "HF_HOME" |
  "XDG_CACHE_HOME" | "OLLAMA_MODELS" | "LLAMA_CACHE",
  string | undefined
>>;

/** The inputs that decide the roots (a subset of `DiscoverOptions`). */
export interface RootOptions {
  /** Usually `process.env`; only the variables of {@link DiscoveryEnv} are read. */
  env: DiscoveryEnv | NodeJS.ProcessEnv;
  /** Folder that `./models` and relative paths are resolved against. */
  cwd: string;
  /** `--model` files: always served, first. */
  modelFiles?: readonly string[];
  /** `--models-dir` folders (repeatable). */
  modelsDirs?: readonly string[];
  /** `false` (`--no-discovery`): only the `--model` files. */
  discovery?: boolean;
  /** The platform's path-list separator for `SHIMMY_MODEL_PATHS`; `path.delimiter` by default. */
  delimiter?: string;
  /** The folder of the demo model that ships in an installed package; null for none. @default packagedDemoDir() */
  demoDir?: string | null;
}

const nonEmpty = (v: string | undefined): v is string => typeof v === "string" && v.trim() !== "";

/** The first candidate that is known, resolved against `cwd`. */
function first(cwd: string, ...candidates: Array<string | null>): string | null {
  const found = candidates.find((c): c is string => c !== null);
  return found ? path.resolve(cwd, found) : null;
}

/**
 * The roots to scan, in order: `--model` files, then (unless `discovery` is false)
 * `SHIMMY_MODEL_PATHS`, `--models-dir`, `./models`, `$SHIMMY_HOME/models`, the Hugging Face cache,
 * Ollama, LM Studio, llama.cpp's cache and, last, the demo model of an installed package (demo-root.ts).
 * A folder named twice is kept at its first place.
 * Roots that do not exist are listed too (discovery finds nothing there; the watcher waits for them).
 */
export function modelRoots(options: RootOptions): ModelRoot[] {
  const env = options.env as DiscoveryEnv;
  const { cwd } = options;
  const roots: ModelRoot[] = (options.modelFiles ?? []).map((f) => ({ source: "path", path: path.resolve(cwd, f), layout: "file", explicit: true }));
  if (options.discovery !== false) {
    const home = homeFromEnv(env);
    const inHome = (...parts: string[]) => (home ? path.join(home, ...parts) : null);
    const xdgCache = nonEmpty(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : null;
    const add = (source: ModelSource, layout: RootLayout, dir: string | null, explicit = false) => {
      if (dir) roots.push({ source, path: path.resolve(cwd, dir), layout, ...(explicit ? { explicit } : {}) });
    };
    for (const entry of modelPathsFromEnv(env, options.delimiter)) add("path", "files", entry, true);
    for (const dir of options.modelsDirs ?? []) add("models-dir", "files", dir, true);
    add("local", "files", path.join(cwd, "models"));
    const shimmy = shimmyHomeFromEnv(env, cwd);
    add("shimmy", "files", shimmy ? path.join(shimmy, "models") : null);
    add("huggingface", "huggingface", hubCacheFromEnv(env, cwd));
    add("ollama", "ollama", first(cwd, nonEmpty(env.OLLAMA_MODELS) ? env.OLLAMA_MODELS : null, inHome(".ollama", "models")));
    add("lmstudio", "lmstudio", inHome(".lmstudio", "models"));
    add("lmstudio", "lmstudio", inHome(".cache", "lm-studio", "models"));
    // llama.cpp's cache: LLAMA_CACHE, else XDG_CACHE_HOME/llama.cpp, else ~/.cache/llama.cpp (common.cpp).
    add("llama.cpp", "llama.cpp", first(cwd,
      nonEmpty(env.LLAMA_CACHE) ? env.LLAMA_CACHE : null,
      xdgCache ? path.join(xdgCache, "llama.cpp") : null,
      inHome(".cache", "llama.cpp")));
    add("demo", "files", options.demoDir === undefined ? packagedDemoDir() : options.demoDir);
  }
  const seen = new Set<string>();
  return roots.filter((root) => {
    const key = `${root.layout}\u0000${root.path}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
