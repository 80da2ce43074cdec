/** Runs `shimmy plugin …` as a user would, in its own process, with a given home and stdin. */
import { spawn, type ChildProcess } from "node:child_process";
import { Readable } from "node:stream";
import { BIN, homeEnv } from "./shimmy-process.js";

/** What one run printed, and its exit code. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Starts `shimmy plugin ARGS`; `input` is written to its stdin, which is then closed. */
export function spawnPluginCli(home: string, args: string[], input = "", env: Record<string, string> = {}): ChildProcess {
  const child = spawn(process.execPath, [BIN, "plugin", ...args], { env: homeEnv(home, env), stdio: ["pipe", "pipe", "pipe"] });
  child.stdin?.end(input);
  return child;
}

/** Runs `shimmy plugin ARGS` to its end (killed after `timeoutMs`), with `env` added to its environment. */
export function pluginCli(home: string, args: string[], input = "", timeoutMs = 60_000, env: Record<string, string> = {}): Promise<CliRun> {
  const child = spawnPluginCli(home, args, input, env);
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * Runs `shimmy plugin ARGS` in this process: the CLI's own command, with the environment of
 * {@link pluginCli} (plus `env`) and stdin closed, but no process to boot (half a second and more on
 * a loaded machine). For a test's set-up steps; the commands a test checks run as {@link pluginCli}.
 */
export async function pluginCommandHere(home: string, args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  // Loaded on first use: most tests of this helper never need the CLI in their own process.
  const { pluginCommand } = await import("../../core/src/cli/plugin.js");
  let stdout = "";
  let stderr = "";
  const code = await pluginCommand(args, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    stdin: Readable.from([]),
    env: homeEnv(home, env),
  });
  return { code, stdout, stderr };
}

/**
 * Runs `shimmy plugin ARGS` with the test hook `SHIMMY_TEST_PAUSE_AT=STEP`, waits for it to say it
 * paused there, and kills it with SIGKILL: a kill between two store steps, on purpose. Rejects when
 * the command ends (or stays silent for `timeoutMs`) without reaching the step.
 */
export async function killAtStep(home: string, args: string[], step: string, env: Record<string, string> = {}, timeoutMs = 60_000): Promise<void> {
  const child = spawnPluginCli(home, args, "", { ...env, SHIMMY_TEST_PAUSE_AT: step });
  let stderr = "";
  const closed = new Promise<number | null>((resolve) => child.once("close", resolve));
  const paused = new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.stderr?.on("data", (d: Buffer) => {
      stderr += d.toString();
      if (stderr.includes(`shimmy-test: paused at ${step}\n`)) {
        clearTimeout(timer);
        resolve(true);
      }
    });
    void closed.then(() => {
      clearTimeout(timer);
      resolve(false);
    });
  });
  const reached = await paused;
  child.kill("SIGKILL");
  await closed;
  if (!reached) throw new Error(`shimmy plugin ${args.join(" ")} did not pause at ${step}: ${stderr}`);
}
