/**
 * Every setting of `shimmy serve`, in one table: its flag, its `SHIMMY_*` variable, its key in
 * `$SHIMMY_HOME/config.json`, its default and its help text. The parser, `--help`, the config
 * file's JSON Schema and `docs/reference/config.md` are all made from this table.
 */
import fs from "node:fs";
import os from "node:os";

/**
 * The value kinds a setting can hold: `string[]` repeats its flag (and splits its variable on the
 * path separator, for file paths); `list` also splits each value on commas; `boolean` is a flag
 * without a value; `bytes` is a whole number with an optional K, M, G or T suffix (powers of 1024).
 */
export type OptionType = "string" | "integer" | "string[]" | "list" | "boolean" | "bytes";

/** One setting. */
export interface OptionSpec {
  /** The key in `ServeConfig` and in `config.json`. */
  key: keyof ServeConfig;
  /** The long flag, without dashes. */
  flag: string;
  /**
   * The short flag, without its dash, as llama.cpp's server spells it (`np` for `-np`): one word
   * that must stand alone, its value in the next word.
   */
  short?: string;
  /** The environment variable. */
  env: string;
  type: OptionType;
  /** Placeholder in `--help` (`N`, `FILE`). */
  valueName: string;
  /** Text of the default for `--help` when it is computed, not fixed. */
  defaultText?: string;
  /** Lower bound for integers. */
  minimum?: number;
  /** Upper bound for integers. */
  maximum?: number;
  /** Allowed values for strings. */
  choices?: readonly string[];
  /**
   * A secret: never read from `config.json` (a file people share and paste), only from its flag,
   * its variable or `$SHIMMY_HOME/secrets.json` (mode 0600).
   */
  secret?: boolean;
  description: string;
}

/** The resolved settings of `shimmy serve`. */
export interface ServeConfig {
  host: string;
  port: number;
  model: string[];
  threads: number;
  parallel: number;
  /** Tokens per slot; 0 means {@link DEFAULT_CONTEXT_SIZE}, or the model's trained context when smaller. */
  ctxSize: number;
  queueSize: number;
  maxBody: number;
  /** Largest file `POST /v1/files` accepts, in bytes. */
  maxFileBytes: number;
  logLevel: LogLevel;
  /** How stderr is written: lines for a person, JSON lines for programs, or chosen by whether stderr is a terminal. */
  logFormat: LogFormat;
  gpu: GpuSetting;
  /** Host names accepted besides the loopback ones, while bound to loopback. */
  allowedHosts: string[];
  /** Browser origins allowed besides the defaults; `*` allows every origin. */
  corsOrigins: string[];
  /** The key every route but /health needs, when set. */
  apiKey: string | null;
  /** Folders to find models in, besides the standard places. */
  modelsDir: string[];
  /** Serve only the `--model` files: no scanning of folders and caches. */
  noDiscovery: boolean;
  /** Most models loaded at once; 0 for no limit. */
  maxLoadedModels: number;
  /** Most bytes of loaded models; 0 for no limit. */
  memoryBudget: number;
  /** How long a model stays loaded after its last request (Ollama's keep_alive). */
  keepAlive: string;
  /** How hard a commit to `shimmy.db` waits for the disk. */
  dbSynchronous: DbSynchronous;
  /** How long a stored response is kept (`30d`); a negative value keeps it for good. */
  responseTtl: string;
  /** The port of the second listener that speaks Ollama's native API; null for none (`ollama/`). */
  ollamaPort: number | null;
  /** Shorthand for `ollamaPort` 11434, Ollama's own port; `ollamaPort` wins when both are set. */
  ollamaApi: boolean;
}

/** SQLite's `synchronous` settings `shimmy.db` may use. */
export const DB_SYNCHRONOUS = ["normal", "full"] as const;
/** One of {@link DB_SYNCHRONOUS}. */
export type DbSynchronous = (typeof DB_SYNCHRONOUS)[number];

/** Levels of the structured log, most verbose first. */
export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** How the log is written: `text` for a person, `json` lines for programs, `auto` text on a terminal. */
export const LOG_FORMATS = ["auto", "text", "json"] as const;
/** One of {@link LOG_FORMATS}. */
export type LogFormat = (typeof LOG_FORMATS)[number];

/** Which llama.cpp backend to use: the best one found, a named one, or the CPU alone. */
export const GPU_SETTINGS = ["auto", "cuda", "vulkan", "metal", "off"] as const;
/** One of {@link GPU_SETTINGS}. */
export type GpuSetting = (typeof GPU_SETTINGS)[number];

/**
 * The default thread count: one per physical core, less one core left to Node's JavaScript thread,
 * at least 1. llama.cpp's threads meet at spinning barriers after every operation, so when the
 * JavaScript thread (HTTP, streaming) takes a core from one of them the others spin: on a 2-core
 * machine 2 threads streamed 60 tokens/s where 1 thread streamed 125 (`bench/`), and
 * node-llama-cpp's own default (at least 4) was about 500x slower.
 */
export function defaultThreads(logicalCores = os.availableParallelism(), physicalCores = physicalCoreCount()): number {
  return Math.max(1, Math.min(physicalCores ?? logicalCores, logicalCores - 1));
}

/**
 * Physical cores on Linux (hyperthread siblings counted once), as llama.cpp counts them; null
 * where the kernel does not say.
 */
export function physicalCoreCount(): number | null {
  try {
    const dir = "/sys/devices/system/cpu";
    const siblings = new Set<string>();
    for (const entry of fs.readdirSync(dir)) {
      if (!/^cpu\d+$/.test(entry)) continue;
      siblings.add(fs.readFileSync(`${dir}/${entry}/topology/thread_siblings_list`, "utf8").trim());
    }
    return siblings.size > 0 ? siblings.size : null;
  } catch {
    return null;
  }
}

/** Tokens per slot when neither the user nor a smaller trained context says otherwise. */
export const DEFAULT_CONTEXT_SIZE = 4096;

/** The defaults of every setting. */
export function defaultServeConfig(): ServeConfig {
  return {
    host: "127.0.0.1",
    port: 11435,
    model: [],
    threads: defaultThreads(),
    parallel: 4,
    ctxSize: 0,
    queueSize: 64,
    maxBody: 16 * 1024 * 1024,
    maxFileBytes: 64 * 1024 * 1024,
    logLevel: "info",
    logFormat: "auto",
    gpu: "auto",
    allowedHosts: [],
    corsOrigins: [],
    apiKey: null,
    modelsDir: [],
    noDiscovery: false,
    maxLoadedModels: 3,
    memoryBudget: 0,
    keepAlive: "5m",
    dbSynchronous: "normal",
    responseTtl: "30d",
    ollamaPort: null,
    ollamaApi: false,
  };
}

/** The table of settings, in `--help` order. */
export const SERVE_OPTIONS: readonly OptionSpec[] = [
  {
    key: "host", flag: "host", env: "SHIMMY_HOST", type: "string", valueName: "HOST",
    description: "Address to listen on. Keep the loopback default unless you put an API key in front.",
  },
  {
    key: "port", flag: "port", short: "p", env: "SHIMMY_PORT", type: "integer", valueName: "PORT", minimum: 0, maximum: 65535,
    description: "Port to listen on; 0 picks a free one (read it from the `listening` line on stdout).",
  },
  {
    key: "model", flag: "model", short: "m", env: "SHIMMY_MODEL", type: "string[]", valueName: "FILE",
    defaultText: "the .gguf files in ./models",
    description: "A GGUF file to serve; repeat the flag for several. The variable takes a list separated by the platform's path separator.",
  },
  {
    key: "modelsDir", flag: "models-dir", env: "SHIMMY_MODELS_DIR", type: "string[]", valueName: "DIR",
    defaultText: "none",
    description: "A folder to find GGUF models in (repeatable), besides SHIMMY_MODEL_PATHS, ./models, $SHIMMY_HOME/models and the Hugging Face, Ollama, LM Studio and llama.cpp caches.",
  },
  {
    key: "noDiscovery", flag: "no-discovery", env: "SHIMMY_NO_DISCOVERY", type: "boolean", valueName: "",
    defaultText: "off",
    description: "Serve only the --model files: scan no folders or caches.",
  },
  {
    key: "maxLoadedModels", flag: "max-loaded-models", env: "SHIMMY_MAX_LOADED_MODELS", type: "integer", valueName: "N", minimum: 0,
    description: "Most models loaded at once; loading one more unloads the least recently used idle one, or waits (in arrival order, within --queue-size) for a busy one to finish and unloads it. 0 for no limit.",
  },
  {
    key: "memoryBudget", flag: "memory-budget", env: "SHIMMY_MEMORY_BUDGET", type: "bytes", valueName: "BYTES",
    defaultText: "0 (no limit)",
    description: "Most memory for loaded models (weights and context), such as 8G; loading past it unloads the least recently used idle models, or waits for busy ones to finish. A model bigger than the budget still loads, alone.",
  },
  {
    key: "keepAlive", flag: "keep-alive", env: "SHIMMY_KEEP_ALIVE", type: "string", valueName: "DURATION",
    description: "How long a model stays loaded after its last request, as Ollama: 5m, 1h, 30s; 0 unloads at once, -1 keeps it. A request's own keep_alive field wins.",
  },
  {
    key: "threads", flag: "threads", short: "t", env: "SHIMMY_THREADS", type: "integer", valueName: "N", minimum: 1,
    defaultText: "physical cores less one, at least 1",
    description: "CPU threads for llama.cpp. The default leaves one core to Node's JavaScript thread; more threads than free cores makes generation far slower.",
  },
  {
    key: "parallel", flag: "parallel", short: "np", env: "SHIMMY_PARALLEL", type: "integer", valueName: "N", minimum: 1,
    description: "Slots per model: how many requests generate at once, batched together.",
  },
  {
    key: "ctxSize", flag: "ctx-size", short: "c", env: "SHIMMY_CTX_SIZE", type: "integer", valueName: "N", minimum: 0,
    defaultText: `${DEFAULT_CONTEXT_SIZE}, or the model's trained context if smaller`,
    description: "Tokens of context per slot (prompt plus answer). Unlike llama-server's -c, which is the total over all slots, this is per slot: memory grows with ctx-size x parallel.",
  },
  {
    key: "queueSize", flag: "queue-size", env: "SHIMMY_QUEUE_SIZE", type: "integer", valueName: "N", minimum: 0,
    description: "Requests that may wait for a slot, per model, and for room to load a model (--max-loaded-models, --memory-budget); beyond it the server answers 503 with Retry-After.",
  },
  {
    key: "maxBody", flag: "max-body", env: "SHIMMY_MAX_BODY", type: "integer", valueName: "BYTES", minimum: 1,
    description: "Largest request body accepted; larger ones get 413.",
  },
  {
    key: "maxFileBytes", flag: "max-file-bytes", env: "SHIMMY_MAX_FILE_BYTES", type: "integer", valueName: "BYTES", minimum: 1,
    description: "Largest file `POST /v1/files` accepts (a multipart upload, not bound by --max-body); larger ones get 413 file_too_large.",
  },
  {
    key: "logLevel", flag: "log-level", env: "SHIMMY_LOG_LEVEL", type: "string", valueName: "LEVEL", choices: LOG_LEVELS,
    description: "Least severe log level written to stderr.",
  },
  {
    key: "logFormat", flag: "log-format", env: "SHIMMY_LOG_FORMAT", type: "string", valueName: "FORMAT", choices: LOG_FORMATS,
    description: "How stderr is written: text is a start-up banner and one short line per request, for a person; json is one JSON object per line, for programs; auto is text when stderr is a terminal, json otherwise. Colours only on a terminal, unless NO_COLOR or FORCE_COLOR says otherwise.",
  },
  {
    key: "gpu", flag: "gpu", env: "SHIMMY_GPU", type: "string", valueName: "BACKEND", choices: GPU_SETTINGS,
    description: "llama.cpp backend: the best prebuilt one this machine supports, a named one, or off for the CPU alone.",
  },
  {
    key: "allowedHosts", flag: "allowed-hosts", env: "SHIMMY_ALLOWED_HOSTS", type: "list", valueName: "LIST",
    defaultText: "none",
    description: "Host names (comma-separated) to accept in the Host header besides localhost, 127.0.0.1 and [::1], for a reverse proxy. While bound to loopback any other Host is refused, so a DNS-rebinding page cannot reach the server.",
  },
  {
    key: "corsOrigins", flag: "cors-origins", env: "SHIMMY_CORS_ORIGINS", type: "list", valueName: "LIST",
    defaultText: "none",
    description: "Browser origins (comma-separated, scheme://host[:port]) allowed besides the defaults: pages on localhost, 127.0.0.1 and [::1] may call /v1; only the server's own pages may call /api. `*` allows every origin.",
  },
  {
    key: "apiKey", flag: "api-key", env: "SHIMMY_API_KEY", type: "string", valueName: "KEY", secret: true,
    defaultText: "none",
    description: "Require `Authorization: Bearer KEY` on every route but /health and the web page's static files. A secret: not read from config.json, but from the flag, the variable or apiKey in $SHIMMY_HOME/secrets.json.",
  },
  {
    key: "dbSynchronous", flag: "db-synchronous", env: "SHIMMY_DB_SYNCHRONOUS", type: "string", valueName: "MODE", choices: DB_SYNCHRONOUS,
    description: "How $SHIMMY_HOME/shimmy.db (stored responses, conversations) commits: normal keeps every commit through a crash of Shimmy (WAL); full also waits for the disk on each commit, so none is lost on power failure, at some cost in speed.",
  },
  {
    key: "responseTtl", flag: "response-ttl", env: "SHIMMY_RESPONSE_TTL", type: "string", valueName: "DURATION",
    description: "How long a stored response (`store: true`) is kept, as OpenAI keeps them: 30d, 12h, 90m; -1 keeps them for good. Expired ones are deleted hourly; conversations are kept until deleted.",
  },
  {
    key: "ollamaPort", flag: "ollama-port", env: "SHIMMY_OLLAMA_PORT", type: "integer", valueName: "PORT", minimum: 0, maximum: 65535,
    defaultText: "off",
    description: "Also serve Ollama's native API (/api/chat, /api/generate, /api/tags, …) on this port of --host, a second listener beside the main one, for clients that speak only Ollama; 0 picks a free port (read it from the second `listening` line on stdout). Wins over --ollama-api.",
  },
  {
    key: "ollamaApi", flag: "ollama-api", env: "SHIMMY_OLLAMA_API", type: "boolean", valueName: "",
    defaultText: "off",
    description: "Shorthand for --ollama-port 11434: Ollama's own port, where Ollama clients look by default (stop Ollama first if it runs).",
  },
];
