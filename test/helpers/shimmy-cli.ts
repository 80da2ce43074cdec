/** Runs the compiled `shimmy` CLI to its end in its own process, as a user's shell would. */
import { execFile } from "node:child_process";
import type { CliRun } from "./plugin-cli.js";
import { BIN } from "./shimmy-process.js";

/** Options of {@link runShimmy}. */
export interface RunShimmyOptions {
  /** The whole environment besides PATH: the temporary homes, the hub, the server. */
  env: Record<string, string>;
  cwd?: string;
  /** Killed after this long. @default 30000 */
  timeoutMs?: number;
}

/** Runs `shimmy ARGS…` with only PATH and `options.env` in its environment, stdin closed (not a TTY). */
export function runShimmy(args: string[], options: RunShimmyOptions): Promise<CliRun & { code: number }> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [BIN, ...args],
      { env: { PATH: process.env.PATH ?? "", ...options.env }, timeout: options.timeoutMs ?? 30_000, ...(options.cwd ? { cwd: options.cwd } : {}) },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== "number") return reject(error);
        resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
      },
    );
    child.stdin?.end();
  });
}
