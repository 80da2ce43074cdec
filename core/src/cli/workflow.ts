/**
 * `shimmy workflow`: run workflows on a running server and look at their runs, through its
 * `/api/workflows` and `/api/workflow-runs` routes. `run` draws the steps live on stderr and writes
 * the run's output to stdout; the other commands print a table or a line (the server's JSON with
 * `--json`). Exit codes: 0 done (a run that succeeded), 1 a run that failed or was cancelled, or the
 * server refused or could not be reached, 2 a usage mistake, 130 `run` stopped with Ctrl-C.
 */
import { parseArgs } from "node:util";
import { serverTarget } from "../config/environment.js";
import { ApiClient } from "./api-client.js";
import { CLIENT_OPTIONS, optionLines, runCommandGroup } from "./command-group.js";
import { checkServerUrl, UsageError } from "./usage-error.js";
import { WorkflowClient } from "./workflow-client.js";
import { formatRun, formatRunsTable, formatWorkflowsTable } from "./workflow-format.js";
import { FileProblem, readJsonFile } from "./workflow-input.js";
import type { LiveStream } from "./workflow-live.js";
import { runWorkflow } from "./workflow-run.js";

/** Where `shimmy workflow` reads its environment and writes; `process`'s by default, fakes in tests. */
export interface WorkflowCliIO {
  stdout: { write(text: string): unknown };
  stderr: LiveStream;
  env: Record<string, string | undefined>;
  /** The clock, in ms since the epoch. */
  now?: () => number;
  /** Calls `handler` on each Ctrl-C until the function it returns is called. @default the process's SIGINT */
  onInterrupt?: (handler: () => void) => () => void;
}

type SubcommandName = "run" | "add" | "list" | "runs" | "show" | "cancel";

/** A subcommand's usage line, summary, and the options it takes besides the common ones. */
interface SubcommandSpec {
  args: string;
  summary: string;
  /** Positional arguments: exactly this many, or at least this many (`run`'s key=value fields). */
  positionals: number | "target";
  options: readonly (readonly [string, string])[];
  more?: string[];
}

const RUN_OPTIONS = [
  ["--input JSON|@FILE", "The run's input as JSON, or read from FILE; or give key=value fields instead."],
  ["-d, --detach", "Start the run, print its id and exit: it goes on on the server."],
] as const;

const SUBCOMMANDS: Record<SubcommandName, SubcommandSpec> = {
  run: {
    args: " FILE|NAME[@VERSION] [key=value | key:=JSON ...]",
    summary: "Run a workflow, drawing its steps as they go; the run's output goes to stdout.",
    positionals: "target",
    options: RUN_OPTIONS,
    more: [
      "FILE is a workflow document (a .json file), run as it is without being saved; NAME runs the",
      "saved workflow of that name, its latest version or @VERSION. The input is --input JSON, or one",
      "field per argument: key=value sets a string, key:=JSON any JSON value (a number, true, a list).",
      "",
      "On a terminal the steps are one line each, redrawn as the run goes: status, attempts, time,",
      "tokens (prompt/completion) and result; elsewhere one line per event. When the run ends its output",
      "goes to stdout (text as it is, anything else as JSON); --json prints the whole run instead.",
      "",
      "Ctrl-C cancels the run on the server (steps in flight stop, an LLM step frees its slot), waits",
      "for it to end, and exits 130; a second Ctrl-C exits at once. To leave a run going, start it",
      "with --detach and follow it with shimmy workflow show RUN_ID. If the server stops during the",
      "run, the run is kept and goes on when the server starts again.",
      "",
      "Exit codes: 0 the run succeeded, 1 it failed or was cancelled (or the server refused it),",
      "2 a usage mistake, 130 Ctrl-C.",
      "",
      "Examples:",
      "  npx shimmy workflow run digest.json notes='The cat sat. The dog ran.'",
      "  npx shimmy workflow run digest@2 --input '{\"notes\": \"The cat sat.\"}' --json",
    ],
  },
  add: { args: " FILE", summary: "Save a workflow document on the server (the next version of its name).", positionals: 1, options: [] },
  list: { args: "", summary: "List the saved workflows, each with its latest version.", positionals: 0, options: [] },
  runs: {
    args: "",
    summary: "List runs, newest first.",
    positionals: 0,
    options: [
      ["--workflow NAME", "Only the runs of this workflow."],
      ["--status STATUS", "Only runs that are pending, running, succeeded, failed or cancelled."],
      ["--limit N", "How many, 1 to 100. Default: 20."],
      ["--after RUN_ID", "The page after this run (the last id of the previous page)."],
    ],
  },
  show: {
    args: " RUN_ID",
    summary: "Print a run: each step's status, attempts, time, tokens and result, then its output or error.",
    positionals: 1,
    options: [["--attempts", "Also list every attempt of the run's journal (interrupted ones: the server stopped during them)."]],
  },
  cancel: { args: " RUN_ID", summary: "Cancel a run in progress: its steps in flight stop.", positionals: 1, options: [] },
};

/** The text of `shimmy workflow --help`. */
export function workflowUsage(): string {
  return [
    "Usage: shimmy workflow <command> [options]",
    "",
    "Runs workflows (LLM steps, plugin tools and steps, embeddings, chained in one durable run) on a",
    "running server (start one with: npx shimmy serve). The document: docs/reference/workflow.md.",
    "",
    "Commands:",
    ...Object.entries(SUBCOMMANDS).map(([name, spec]) => `  ${name.padEnd(8)}${spec.summary}`),
    "",
    "shimmy workflow COMMAND --help shows a command's arguments and options.",
    "",
    "Options of every command:",
    ...optionLines(CLIENT_OPTIONS, 22),
    "",
  ].join("\n");
}

/** The text of `shimmy workflow NAME --help`. */
export function workflowSubcommandUsage(name: SubcommandName): string {
  const spec = SUBCOMMANDS[name];
  return [
    `Usage: shimmy workflow ${name}${spec.args} [options]`,
    "",
    spec.summary,
    ...(spec.more ? ["", ...spec.more] : []),
    "",
    "Options:",
    ...optionLines([...spec.options, ...CLIENT_OPTIONS], 22),
    "",
  ].join("\n");
}

interface Invocation {
  client: WorkflowClient;
  apiKey: string | null;
  json: boolean;
  positionals: string[];
  values: Record<string, string | boolean | undefined>;
}

function parseInvocation(name: SubcommandName, argv: string[], env: WorkflowCliIO["env"]): Invocation | "help" {
  const spec = SUBCOMMANDS[name];
  const own: Record<string, { type: "string" | "boolean"; short?: string }> = {
    input: { type: "string" }, detach: { type: "boolean", short: "d" }, attempts: { type: "boolean" }, workflow: { type: "string" }, status: { type: "string" }, limit: { type: "string" }, after: { type: "string" },
  };
  const allowed = Object.fromEntries(Object.entries(own).filter(([flag]) => spec.options.some(([text]) => text.split(/,? /).includes(`--${flag}`))));
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: { url: { type: "string" }, "api-key": { type: "string" }, json: { type: "boolean" }, help: { type: "boolean", short: "h" }, ...allowed },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.help) return "help";
  const count = parsed.positionals.length;
  if (spec.positionals === "target" ? count === 0 : count !== spec.positionals) {
    const wanted = spec.positionals === "target" ? "a workflow FILE or NAME" : spec.positionals === 0 ? "no arguments" : `one ${spec.args.trim()}`;
    throw new UsageError(`expects ${wanted}${count > 0 && spec.positionals !== "target" ? `, got "${parsed.positionals.join(" ")}"` : ""}`);
  }
  const { url, apiKey } = serverTarget({ url: values.url as string | undefined, apiKey: values["api-key"] as string | undefined }, env);
  checkServerUrl(url);
  return { client: new WorkflowClient(new ApiClient({ url, apiKey })), apiKey, json: values.json === true, positionals: parsed.positionals, values };
}

function processIO(): WorkflowCliIO {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    onInterrupt: (handler) => {
      process.on("SIGINT", handler);
      return () => void process.off("SIGINT", handler);
    },
  };
}

/**
 * Runs `shimmy workflow ARGV…` and resolves with the exit code (see the module comment).
 * Unexpected failures are thrown.
 */
export async function workflowCommand(argv: string[], io: WorkflowCliIO = processIO()): Promise<number> {
  return runCommandGroup(argv, io, {
    name: "workflow",
    subcommands: SUBCOMMANDS,
    usage: workflowUsage,
    subcommandUsage: workflowSubcommandUsage,
    parse: (name, rest) => parseInvocation(name, rest, io.env),
    run: (name, invocation) => dispatch(name, invocation, io),
    // A workflow document or input file that cannot be read or parsed.
    expectedFailure: (err) => (err instanceof FileProblem ? err.message : null),
  });
}

async function dispatch(name: SubcommandName, invocation: Invocation, io: WorkflowCliIO): Promise<number> {
  const { client, json, positionals, values } = invocation;
  const now = io.now ?? Date.now;
  // --json prints one compact document: one line, for jq and for scripts that read lines.
  const print = (body: unknown, text: () => string) => io.stdout.write(json ? JSON.stringify(body) + "\n" : text());
  switch (name) {
    case "run":
      return runWorkflow({ client, json, positionals, detach: values.detach === true, ...(typeof values.input === "string" ? { input: values.input } : {}) }, io);
    case "add": {
      const saved = await client.save(readJsonFile(positionals[0]!, "workflow document"));
      print(saved, () => `Saved ${saved.name} version ${saved.version} (run it with: shimmy workflow run ${saved.name})\n`);
      return 0;
    }
    case "list": {
      const list = await client.list();
      print({ object: "list", data: list }, () => formatWorkflowsTable(list));
      return 0;
    }
    case "runs": {
      const page = await client.runs({
        ...(typeof values.workflow === "string" ? { workflow: values.workflow } : {}),
        ...(typeof values.status === "string" ? { status: values.status } : {}),
        ...(typeof values.limit === "string" ? { limit: parseLimit(values.limit) } : {}),
        ...(typeof values.after === "string" ? { after: values.after } : {}),
      });
      const more = page.has_more && page.last_id ? `More: shimmy workflow runs --after ${page.last_id}\n` : "";
      print(page, () => formatRunsTable(page.data, now()) + more);
      return 0;
    }
    case "show": {
      const run = await client.show(positionals[0]!, values.attempts === true);
      print(run, () => formatRun(run, now()));
      return 0;
    }
    case "cancel": {
      const run = await client.cancel(positionals[0]!);
      print(run, () => `Cancelled run ${run.id}\n`);
      return 0;
    }
  }
}

function parseLimit(raw: string): number {
  const limit = Number(raw);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new UsageError(`--limit must be a whole number from 1 to 100, got "${raw}"`);
  return limit;
}
