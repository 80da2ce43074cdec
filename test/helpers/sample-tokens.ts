import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** One answer to sample: a user message under the model's chat template, or a raw prompt. */
export type SampleJob = ({ chat: string } | { prompt: string }) & { seed: number; maxTokens: number; temperature?: number };

/** What llama.cpp sampled for one job. */
export interface Sampled {
  promptTokens: number;
  /** The tokens sampled before the end-of-generation token or the limit. */
  tokens: number[];
  /** Whether the end-of-generation token ended it. */
  eog: boolean;
}

/**
 * Samples each job with node-llama-cpp's low-level sequence API in a child process, independently
 * of the server, with the server's default sampling (llama.cpp's) and the job's seed.
 */
export async function sampleTokens(model: string, jobs: SampleJob[]): Promise<Sampled[]> {
  const script = path.join(import.meta.dirname, "sample-tokens.mjs");
  const { stdout } = await run(process.execPath, [script, model, JSON.stringify(jobs)], { timeout: 120_000, maxBuffer: 16 * 1024 * 1024 });
  return JSON.parse(stdout) as Sampled[];
}
