import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Token counts of `texts` under `model` (special tokens parsed, BOS added when the model wants it). */
export async function countTokens(model: string, texts: string[]): Promise<number[]> {
  const script = path.join(import.meta.dirname, "count-tokens.mjs");
  const { stdout } = await run(process.execPath, [script, model, JSON.stringify(texts)], { timeout: 60_000 });
  return JSON.parse(stdout) as number[];
}
