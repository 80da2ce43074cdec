/**
 * The frame of a client command group (`shimmy models …`, `shimmy workflow …`) around its own
 * parsing and work: the group's help, an unknown subcommand, usage mistakes (exit 2, with a pointer
 * to the subcommand's `--help`), and the server's or the connection's failures (exit 1, with a hint
 * where the fix is on this side). Any other failure is thrown.
 */
import { DEFAULT_SERVER_URL } from "../config/environment.js";
import { ApiError, ConnectionError } from "./api-client.js";
import { UsageError } from "./usage-error.js";

/** The options every subcommand of a client group takes, as `[flag, text]` lines of its help. */
export const CLIENT_OPTIONS = [
  ["--url URL", `The server. Default: ${DEFAULT_SERVER_URL}. Variable: SHIMMY_URL.`],
  ["--api-key KEY", "Sent as \"Authorization: Bearer KEY\". Variable: SHIMMY_API_KEY."],
  ["--json", "Print the server's JSON (one document) instead of text."],
  ["-h, --help", "Print this help."],
] as const;

/** Help lines of `[flag, text]` options, the texts starting at column `width` + 2. */
export function optionLines(options: readonly (readonly [string, string])[], width: number): string[] {
  return options.map(([flag, text]) => `  ${flag.padEnd(width)}${text}`);
}

/** Where a command group writes. */
export interface CommandGroupIO {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

/** A command group's own parts, for {@link runCommandGroup}. */
export interface CommandGroup<N extends string, I extends { apiKey: string | null }> {
  /** The group's word after `shimmy` (`models`). */
  name: string;
  /** The subcommands, by name (only the names are read). */
  subcommands: Readonly<Record<N, unknown>>;
  /** The group's `--help` text. */
  usage(): string;
  /** A subcommand's `--help` text. */
  subcommandUsage(name: N): string;
  /** Parses a subcommand's arguments, or asks for its help. @throws UsageError */
  parse(name: N, argv: string[]): I | "help";
  /** Does the work and resolves with the exit code. @throws UsageError, ApiError, ConnectionError */
  run(name: N, invocation: I): Promise<number>;
  /** The message of another failure the group expects (exit 1), or null for one it does not. @default none */
  expectedFailure?(err: unknown): string | null;
}

/**
 * Runs `shimmy GROUP ARGV…` and resolves with the exit code: 0 done, 1 the work failed, 2 a usage
 * mistake.
 *
 * @example
 * return runCommandGroup(argv, io, { name: "models", subcommands: SUBCOMMANDS, usage, subcommandUsage, parse, run });
 */
export async function runCommandGroup<N extends string, I extends { apiKey: string | null }>(argv: string[], io: CommandGroupIO, group: CommandGroup<N, I>): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "-h" || name === "--help" || name === "help") {
    io.stdout.write(group.usage());
    return 0;
  }
  if (!Object.hasOwn(group.subcommands, name)) {
    io.stderr.write(`shimmy ${group.name}: unknown command "${name}"\n\n${group.usage()}`);
    return 2;
  }
  const subcommand = name as N;
  const usageMistake = (err: UsageError) => {
    io.stderr.write(`shimmy ${group.name} ${subcommand}: ${err.message}; see shimmy ${group.name} ${subcommand} --help\n`);
    return 2;
  };
  let invocation: I | "help";
  try {
    invocation = group.parse(subcommand, rest);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    return usageMistake(err);
  }
  if (invocation === "help") {
    io.stdout.write(group.subcommandUsage(subcommand));
    return 0;
  }
  try {
    return await group.run(subcommand, invocation);
  } catch (err) {
    if (err instanceof UsageError) return usageMistake(err);
    const expected = group.expectedFailure?.(err) ?? null;
    if (expected !== null) {
      io.stderr.write(`shimmy ${group.name} ${subcommand}: ${expected}\n`);
      return 1;
    }
    if (!(err instanceof ApiError || err instanceof ConnectionError)) throw err;
    io.stderr.write(`shimmy: ${describeFailure(err, invocation.apiKey)}\n`);
    return 1;
  }
}

/** The error line, with a hint where the fix is on this side (the server's messages already say which ids exist). */
function describeFailure(err: ApiError | ConnectionError, apiKey: string | null): string {
  if (err instanceof ConnectionError) return err.message;
  if (err.code !== "invalid_api_key") return err.message;
  return apiKey ? `${err.message} (the key from --api-key or SHIMMY_API_KEY was refused)` : `${err.message} (pass --api-key KEY or set SHIMMY_API_KEY)`;
}
