/**
 * How the `shimmy` CLI words a failure that reached its top: one line on stderr for every failure the
 * user can act on, never a stack; a stack only for a bug, and only when asked for with the debug
 * log level, since it helps whoever fixes Shimmy and nobody else.
 */
// The class alone: the config index pulls in ajv and every schema, which most commands never need.
import { ConfigError } from "../config/config-error.js";
import { StartupError } from "../startup-error.js";

/** What to print on stderr, and the exit code. */
export interface FailureReport {
  /** Ends with a newline. */
  text: string;
  exitCode: number;
}

/** Options of {@link reportFailure}. */
export interface ReportFailureOptions {
  /** The command that failed (`serve`, `models`…), to say how to ask for the debug output. */
  command?: string;
  /** Print the stack of an unexpected failure. */
  debug: boolean;
}

/**
 * Where bugs go. The project has no public issue tracker address yet (none in README or package.json),
 * so the report asks for what a maintainer needs instead.
 */
function reportHint(command: string | undefined): string {
  const debug = command === "serve" ? "--log-level debug" : "SHIMMY_LOG_LEVEL=debug";
  return `This is a bug in Shimmy: please report it with the output of the same command run with ${debug}`;
}

/** An operating-system failure (a file that cannot be read, a full disk): about the machine, not a bug. */
function isSystemError(err: unknown): err is NodeJS.ErrnoException {
  const { code, syscall } = (err ?? {}) as NodeJS.ErrnoException;
  return err instanceof Error && typeof code === "string" && /^E[A-Z]+$/.test(code) && typeof syscall === "string";
}

/**
 * The report of a failure: a configuration mistake exits 2, a start that cannot go on or a system
 * failure exits 1 with its message, anything else is a bug (exit 1) with where to report it.
 */
export function reportFailure(err: unknown, { command, debug }: ReportFailureOptions): FailureReport {
  if (err instanceof ConfigError) return { text: `shimmy: ${err.message}\n`, exitCode: 2 };
  if (err instanceof StartupError || isSystemError(err)) return { text: `shimmy: ${err.message}\n`, exitCode: 1 };
  const message = err instanceof Error ? err.message : String(err);
  const stack = debug && err instanceof Error && err.stack ? `${err.stack}\n` : "";
  return { text: `shimmy: unexpected error: ${message}. ${reportHint(command)}\n${stack}`, exitCode: 1 };
}

/**
 * Whether the user asked for debug output: `--log-level debug` (or `trace`), else `SHIMMY_LOG_LEVEL`,
 * as the options are ranked. Read from the raw arguments because the failure may come before, or
 * from, the parsing of the options.
 */
export function wantsDebug(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): boolean {
  let level = env.SHIMMY_LOG_LEVEL;
  for (const [i, arg] of argv.entries()) {
    if (arg === "--log-level") level = argv[i + 1];
    else if (arg.startsWith("--log-level=")) level = arg.slice("--log-level=".length);
  }
  return level === "debug" || level === "trace";
}
