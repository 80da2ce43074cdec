/**
 * `shimmy models`: list, discover, load and unload the models of a running server, through its
 * admin API. The result (a table, a line, or the server's JSON with `--json`) goes to stdout;
 * progress and errors go to stderr. Exit codes: 0 done, 1 the server refused or could not be
 * reached, 2 a usage mistake.
 */
import { parseArgs } from "node:util";
import { parseKeepAlive } from "../config/duration.js";
import { serverTarget } from "../config/environment.js";
import { ApiClient } from "./api-client.js";
import { CLIENT_OPTIONS, optionLines, runCommandGroup } from "./command-group.js";
import { formatLoadResult, formatModelsTable, formatPsTable } from "./format.js";
import { createProgress, type ProgressStream } from "./progress.js";
import { checkServerUrl, UsageError } from "./usage-error.js";

/** Where a command reads its environment and writes; `process`'s by default, fakes in tests. */
export interface CliIO {
  stdout: { write(text: string): unknown };
  stderr: ProgressStream;
  env: Record<string, string | undefined>;
  /** The clock, for expiry times. */
  now?: () => number;
}

type SubcommandName = "list" | "discover" | "load" | "unload" | "ps";

interface SubcommandSpec {
  /** The arguments after the name, for usage lines. */
  args: string;
  summary: string;
  takesId: boolean;
  keepAlive: boolean;
}

const SUBCOMMANDS: Record<SubcommandName, SubcommandSpec> = {
  list: { args: "", summary: "List the models the server found, loaded or not.", takesId: false, keepAlive: false },
  discover: { args: "", summary: "Rescan the model folders, then list the models.", takesId: false, keepAlive: false },
  load: { args: " ID", summary: "Load a model now, showing progress on stderr.", takesId: true, keepAlive: true },
  unload: { args: " ID", summary: "Unload a model, freeing its memory.", takesId: true, keepAlive: false },
  ps: { args: "", summary: "List the loaded models with their memory and expiry.", takesId: false, keepAlive: false },
};

const KEEP_ALIVE_OPTION = [
  "--keep-alive DURATION",
  "How long the model stays loaded when unused: seconds (300), a duration (10m, 1h30m), or -1 for ever. Default: the server's.",
] as const;

/** The text of `shimmy models --help`. */
export function modelsUsage(): string {
  return [
    "Usage: shimmy models <command> [options]",
    "",
    "Talks to a running server (start one with: npx shimmy serve).",
    "",
    "Commands:",
    ...Object.entries(SUBCOMMANDS).map(([name, spec]) => `  ${(name + spec.args).padEnd(24)}${spec.summary}`),
    "",
    "Options of every command:",
    ...optionLines(CLIENT_OPTIONS, 24),
    "Options of load:",
    ...optionLines([KEEP_ALIVE_OPTION], 24),
    "",
  ].join("\n");
}

function subcommandUsage(name: SubcommandName): string {
  const spec = SUBCOMMANDS[name];
  const options = spec.keepAlive ? [KEEP_ALIVE_OPTION, ...CLIENT_OPTIONS] : [...CLIENT_OPTIONS];
  return [`Usage: shimmy models ${name}${spec.args} [options]`, "", spec.summary, "", "Options:", ...optionLines(options, 24), ""].join("\n");
}

interface Invocation {
  url: string;
  apiKey: string | null;
  json: boolean;
  id: string | undefined;
  keepAlive: number | string | undefined;
}

// Seconds go to the server as a JSON number, durations (10m, 1h30m, 500ms) as strings; both are
// checked first by the server's own parser (config/duration.ts).
const SECONDS = /^-?\d+(\.\d+)?$/;

function isKeepAlive(raw: string): boolean {
  try {
    parseKeepAlive(raw);
    return true;
  } catch {
    return false;
  }
}

/**
 * `--keep-alive -1` as `--keep-alive=-1`: parseArgs refuses a value that starts with a dash (it
 * could be a flag), but -1 is the documented "never unload".
 */
function joinNegativeKeepAlive(argv: string[]): string[] {
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = argv[i + 1];
    if (arg === "--keep-alive" && next !== undefined && /^-\d/.test(next)) {
      args.push(`${arg}=${next}`);
      i++;
    } else {
      args.push(arg);
    }
  }
  return args;
}

function parseInvocation(name: SubcommandName, argv: string[], env: CliIO["env"]): Invocation | "help" {
  const spec = SUBCOMMANDS[name];
  let parsed;
  try {
    parsed = parseArgs({
      args: joinNegativeKeepAlive(argv),
      strict: true,
      allowPositionals: true,
      options: {
        url: { type: "string" },
        "api-key": { type: "string" },
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
        ...(spec.keepAlive ? { "keep-alive": { type: "string" as const } } : {}),
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.help) return "help";

  const wanted = spec.takesId ? 1 : 0;
  if (parsed.positionals.length !== wanted) {
    throw new UsageError(spec.takesId ? "expects one model ID" : `takes no arguments, got "${parsed.positionals.join(" ")}"`);
  }
  const { url, apiKey } = serverTarget({ url: values.url as string | undefined, apiKey: values["api-key"] as string | undefined }, env);
  checkServerUrl(url);

  const rawKeepAlive = values["keep-alive"] as string | undefined;
  if (rawKeepAlive !== undefined && !isKeepAlive(rawKeepAlive)) {
    throw new UsageError(`--keep-alive must be seconds, a duration such as 10m or 1h30m (at most 2562047h), or -1, got "${rawKeepAlive}"`);
  }
  const keepAlive = rawKeepAlive === undefined ? undefined : SECONDS.test(rawKeepAlive.trim()) ? Number(rawKeepAlive) : rawKeepAlive.trim();
  return {
    url,
    apiKey,
    json: values.json === true,
    id: parsed.positionals[0],
    keepAlive,
  };
}

function processIO(): CliIO {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env };
}

/**
 * Runs `shimmy models ARGV…` and resolves with the exit code: 0 done, 1 the server answered with
 * an error or could not be reached, 2 a usage mistake. Unexpected failures are thrown.
 */
export async function modelsCommand(argv: string[], io: CliIO = processIO()): Promise<number> {
  return runCommandGroup(argv, io, {
    name: "models",
    subcommands: SUBCOMMANDS,
    usage: modelsUsage,
    subcommandUsage,
    parse: (name, rest) => parseInvocation(name, rest, io.env),
    run: async (name, invocation) => {
      await run(name, invocation, io);
      return 0;
    },
  });
}

async function run(name: SubcommandName, invocation: Invocation, io: CliIO): Promise<void> {
  const client = new ApiClient({ url: invocation.url, apiKey: invocation.apiKey });
  const now = io.now ?? Date.now;
  // --json prints one compact document: one line, for jq and for scripts that read lines.
  const print = (json: unknown, text: () => string) => io.stdout.write(invocation.json ? JSON.stringify(json) + "\n" : text());
  switch (name) {
    case "list":
    case "discover": {
      const list = name === "list" ? await client.listModels() : await client.discoverModels();
      print(list, () => formatModelsTable(list.models ?? [], now()));
      return;
    }
    case "ps": {
      const list = await client.listModels();
      // Same shape as the server's list, with only the loaded models, so scripts read both alike.
      const loaded = { ...list, models: (list.models ?? []).filter((model) => model.loaded) };
      print(loaded, () => formatPsTable(loaded.models, now()));
      return;
    }
    case "load": {
      const id = invocation.id!;
      // Nothing is drawn before the server's first event, so a refused load prints only its error.
      const progress = createProgress({ label: `loading ${id}`, stream: io.stderr });
      let result;
      try {
        result = await client.loadModel(id, {
          keepAlive: invocation.keepAlive,
          onProgress: (fraction) => progress.update(fraction),
        });
        progress.update(1);
      } finally {
        progress.finish();
      }
      print(result, () => formatLoadResult(result, now()));
      return;
    }
    case "unload": {
      const result = await client.unloadModel(invocation.id!);
      print(result, () => `Unloaded ${result.model ?? invocation.id}\n`);
      return;
    }
  }
}
