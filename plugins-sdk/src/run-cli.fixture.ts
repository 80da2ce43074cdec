/** Test helper: runs the `shimmy-plugin` CLI in-process and collects what it prints. */
import { runCli } from "./cli.js";

/** Runs the CLI with `args`; its exit code and its stdout and stderr text. */
export async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await runCli(args, { stdout: (t) => (out += t), stderr: (t) => (err += t) });
  return { code, out, err };
}
