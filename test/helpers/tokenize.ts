import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Token ids of `texts` under `model`, as plain text, with no BOS/EOS or [CLS]/[SEP] added. */
export async function tokenize(model: string, texts: string[]): Promise<number[][]> {
  const script = path.join(import.meta.dirname, "tokenize.mjs");
  const { stdout } = await run(process.execPath, [script, model, JSON.stringify(texts)], { timeout: 60_000 });
  return JSON.parse(stdout) as number[][];
}
