/** Runs `shimmy plugin …` as a user would, in its own process, with a given home and stdin. */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { BIN } from "./shimmy-process.js";

/** What one run printed, and its exit code. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment of a CLI run against the home `home` (HOME; SHIMMY_HOME is `home/.shimmy`). */
export function cliEnv(home: string): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? "", HOME: home, SHIMMY_HOME: path.join(home, ".shimmy"), XDG_CACHE_HOME: path.join(home, ".cache") };
}

/** Starts `shimmy plugin ARGS`; `input` is written to its stdin, which is then closed. */
export function spawnPluginCli(home: string, args: string[], input = ""): ChildProcess {
  const child = spawn(process.execPath, [BIN, "plugin", ...args], { env: cliEnv(home), stdio: ["pipe", "pipe", "pipe"] });
  child.stdin?.end(input);
  return child;
}

/** Runs `shimmy plugin ARGS` to its end (killed after `timeoutMs`). */
export function pluginCli(home: string, args: string[], input = "", timeoutMs = 60_000): Promise<CliRun> {
  const child = spawnPluginCli(home, args, input);
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
