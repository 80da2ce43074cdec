/** Test helper: runs the `shimmy-plugin` CLI in-process and collects what it prints. */
import { runCli, type CliIO } from "./cli.js";

/** Runs the CLI with `args` (and, when given, its environment and stdin); its exit code and its stdout and stderr text. */
export async function run(args: string[], io: Pick<CliIO, "env" | "readLine"> = {}): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await runCli(args, { ...io, stdout: (t) => (out += t), stderr: (t) => (err += t) });
  return { code, out, err };
}
