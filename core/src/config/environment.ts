/**
 * The environment variables that are not a `shimmy serve` setting of the table in `options.ts`:
 * where Shimmy keeps its files, extra model paths, and the server the other commands talk to.
 * Read here and nowhere else; `--help` and `docs/reference/config.md` list {@link ENVIRONMENT_VARIABLES}.
 */
import os from "node:os";
import path from "node:path";

/** An environment variable outside the settings table. */
export interface EnvironmentVariable {
  name: string;
  /** Text of its default, for `--help` and the docs. */
  defaultText: string;
  description: string;
}

/** The Hugging Face hub that `shimmy pull` asks unless `HF_ENDPOINT` names a mirror. */
export const HF_DEFAULT_ENDPOINT = "https://huggingface.co";

/** The address `shimmy serve` listens on by default, where the other commands look for it. */
export const DEFAULT_SERVER_URL = "http://127.0.0.1:11435";

/** The variables without a flag of `shimmy serve`, in the order the docs list them. */
export const ENVIRONMENT_VARIABLES: readonly EnvironmentVariable[] = [
  {
    name: "SHIMMY_HOME", defaultText: "~/.shimmy",
    description: "Shimmy's own folder: config.json, secrets.json, installed plugins and the models/ folder it scans. A relative path is taken from the current folder.",
  },
  {
    name: "SHIMMY_MODEL_PATHS", defaultText: "none",
    description: "Folders or GGUF files to find models in, separated by the platform's path separator (: or ;), scanned before --models-dir and the standard places; a path that does not exist is reported.",
  },
  {
    name: "SHIMMY_URL", defaultText: DEFAULT_SERVER_URL,
    description: "The server that shimmy models and shimmy run talk to, unless --url names one (shimmy run starts one in its own process when none answers there). SHIMMY_API_KEY is the key it sends, unless --api-key gives one.",
  },
  {
    name: "SHIMMY_REGISTRY", defaultText: "registries.default in config.json, else http://127.0.0.1:4873",
    description: "The plugin registry of shimmy plugin add, search, info, update and outdated, unless --registry or a scope in config.json registries.scopes names one. A bare first-party name (calculator, time, web-search, http-get, file-read) still means the plugin bundled with Shimmy.",
  },
  {
    name: "HF_HOME", defaultText: "~/.cache/huggingface",
    description: "The Hugging Face folder: shimmy pull and the server's POST /api/models/pull write models into its hub/ cache (HF_HUB_CACHE, if set, names that cache itself), where discovery and other tools find them.",
  },
  {
    name: "HF_TOKEN", defaultText: "none",
    description: "A Hugging Face access token, sent by shimmy pull and POST /api/models/pull as \"Authorization: Bearer TOKEN\" to the hub only; needed for gated models once their licence is accepted on the model page.",
  },
  {
    name: "HF_ENDPOINT", defaultText: HF_DEFAULT_ENDPOINT,
    description: "The Hugging Face hub, or a mirror of it, that shimmy pull and POST /api/models/pull ask for models.",
  },
  {
    name: "NO_COLOR", defaultText: "unset",
    description: "Any value turns off the colours of shimmy serve's text log (--log-format text), as https://no-color.org asks.",
  },
  {
    name: "FORCE_COLOR", defaultText: "unset",
    description: "Colours the text log even when stderr is not a terminal (0 or false turns colours off); wins over NO_COLOR, as in Node.",
  },
];

/** The variables these functions read; `process.env` is one. */
export type ShimmyEnv = Readonly<Record<string, string | undefined>>;

const given = (value: string | undefined): value is string => typeof value === "string" && value.trim() !== "";

/**
 * Whether text written to a stream may carry ANSI colours: `FORCE_COLOR` decides when set (`0` and
 * `false` mean no), else none when `NO_COLOR` is set or `TERM` is `dumb`, else only on a terminal.
 * Node reads these variables the same way for its own colours.
 */
export function colorFromEnv(env: ShimmyEnv, isTTY: boolean): boolean {
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== "0" && env.FORCE_COLOR.toLowerCase() !== "false";
  if (given(env.NO_COLOR) || env.TERM === "dumb") return false;
  return isTTY;
}

/** The user's home folder as `env` names it (`HOME`, else `USERPROFILE`); null when it names none. */
export function homeFromEnv(env: ShimmyEnv): string | null {
  return given(env.HOME) ? env.HOME : given(env.USERPROFILE) ? env.USERPROFILE : null;
}

/**
 * `$SHIMMY_HOME` resolved against `cwd`, else `~/.shimmy` where `env` names a home folder; null
 * when it names neither. Reads `env` alone, so discovery run on a test's `env` finds no real home.
 */
export function shimmyHomeFromEnv(env: ShimmyEnv, cwd: string): string | null {
  if (given(env.SHIMMY_HOME)) return path.resolve(cwd, env.SHIMMY_HOME);
  const home = homeFromEnv(env);
  return home ? path.join(home, ".shimmy") : null;
}

/**
 * Shimmy's own folder: {@link shimmyHomeFromEnv}, else `.shimmy` in the operating system's idea
 * of the home folder.
 *
 * @example
 * const configFile = path.join(shimmyHome(), "config.json");
 */
export function shimmyHome(env: ShimmyEnv = process.env, cwd: string = process.cwd()): string {
  return shimmyHomeFromEnv(env, cwd) ?? path.join(os.homedir(), ".shimmy");
}

/** The entries of `SHIMMY_MODEL_PATHS`, blanks dropped, as written (the caller resolves them). */
export function modelPathsFromEnv(env: ShimmyEnv, delimiter: string = path.delimiter): string[] {
  return (env.SHIMMY_MODEL_PATHS ?? "").split(delimiter).filter(given);
}

/**
 * `SHIMMY_TEST_PAUSE_AT`, a test hook (never set it for real use, so it is in no `--help`): the
 * plugin store step at which a `shimmy plugin` command stops and waits to be killed
 * (store/test-pause.ts); null when unset.
 */
export function testPauseStep(env: ShimmyEnv): string | null {
  return given(env.SHIMMY_TEST_PAUSE_AT) ? env.SHIMMY_TEST_PAUSE_AT.trim() : null;
}

/**
 * `SHIMMY_TEST_PLUGIN_START_MS`, a test hook (never set it for real use, so it is in no `--help`):
 * the plugin start deadline in ms, for the server and the `shimmy plugin` commands, so that the
 * tests of plugins that hang at start wait out a short deadline rather than the 5 s one; null when
 * unset or not a positive integer.
 */
export function testPluginStartMs(env: ShimmyEnv): number | null {
  const ms = given(env.SHIMMY_TEST_PLUGIN_START_MS) ? Number(env.SHIMMY_TEST_PLUGIN_START_MS) : NaN;
  return Number.isInteger(ms) && ms > 0 ? ms : null;
}

/** Where a command that talks to a running server sends its requests. */
export interface ServerTarget {
  url: string;
  apiKey: string | null;
}

/**
 * The server a client command talks to: its `--url` and `--api-key` flags, else `SHIMMY_URL` and
 * `SHIMMY_API_KEY`, else {@link DEFAULT_SERVER_URL} and no key. Empty values count as absent.
 */
export function serverTarget(flags: { url?: string; apiKey?: string }, env: ShimmyEnv): ServerTarget {
  return {
    url: flags.url || env.SHIMMY_URL || DEFAULT_SERVER_URL,
    apiKey: flags.apiKey || env.SHIMMY_API_KEY || null,
  };
}

/**
 * The Hugging Face hub cache, in huggingface_hub's own order: `HF_HUB_CACHE` (`HUGGINGFACE_HUB_CACHE`
 * is its old name), `$HF_HOME/hub`, `$XDG_CACHE_HOME/huggingface/hub`, `~/.cache/huggingface/hub`;
 * resolved against `cwd`; null when `env` names no home. Discovery scans it and `shimmy pull` writes it.
 */
export function hubCacheFromEnv(env: ShimmyEnv, cwd: string): string | null {
  const home = homeFromEnv(env);
  const found = [
    given(env.HF_HUB_CACHE) ? env.HF_HUB_CACHE : null,
    given(env.HUGGINGFACE_HUB_CACHE) ? env.HUGGINGFACE_HUB_CACHE : null,
    given(env.HF_HOME) ? path.join(env.HF_HOME, "hub") : null,
    given(env.XDG_CACHE_HOME) ? path.join(env.XDG_CACHE_HOME, "huggingface", "hub") : null,
    home ? path.join(home, ".cache", "huggingface", "hub") : null,
  ].find((dir): dir is string => dir !== null);
  return found ? path.resolve(cwd, found) : null;
}

/** The hub cache: {@link hubCacheFromEnv}, else `.cache/huggingface/hub` in the operating system's home folder. */
export function hubCache(env: ShimmyEnv = process.env, cwd: string = process.cwd()): string {
  return hubCacheFromEnv(env, cwd) ?? path.join(os.homedir(), ".cache", "huggingface", "hub");
}

/** What `shimmy pull` needs to reach the hub: `HF_ENDPOINT` (no trailing slash) and `HF_TOKEN`. */
export interface HubSettings {
  endpoint: string;
  token: string | null;
}

/** The hub and token of `env`; blank values count as absent. */
export function hubSettingsFromEnv(env: ShimmyEnv): HubSettings {
  const endpoint = given(env.HF_ENDPOINT) ? env.HF_ENDPOINT.trim().replace(/\/+$/, "") : HF_DEFAULT_ENDPOINT;
  return { endpoint, token: given(env.HF_TOKEN) ? env.HF_TOKEN.trim() : null };
}
