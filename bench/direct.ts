/**
 * The same generation as the servers run, driven directly through node-llama-cpp in this
 * process: one context with the same slots and threads, N concurrent chats, the same prompt and
 * greedy sampling. It is what Shimmy's own overhead is measured against.
 */
import { execFileSync } from "node:child_process";
import path from "node:path";
import { getLlama, LlamaChat, LlamaLogLevel, type LlamaContextSequence } from "node-llama-cpp";
import { resolveModelChatWrapper } from "../core/src/engine/chat-wrapper.js";
import { toLlamaSampling } from "../core/src/engine/sampling.js";
import { summarize, type LoadSummary, type RequestSample } from "./stats.js";

/** Options of {@link runDirect}. */
export interface DirectOptions {
  modelPath: string;
  threads: number;
  slots: number;
  /** Tokens per slot. */
  contextSize: number;
  concurrency: number;
  requestsPerWorker: number;
  maxTokens: number;
  prompt: string;
}

/** Loads the model once and runs each concurrency level in turn. */
export async function runDirect(options: Omit<DirectOptions, "concurrency">, levels: readonly number[]): Promise<Map<number, LoadSummary>> {
  const llama = await getLlama({ build: "never", gpu: false, maxThreads: options.threads, logLevel: LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath: options.modelPath });
  const context = await model.createContext({ contextSize: options.contextSize, sequences: options.slots, threads: options.threads });
  const sequences: LlamaContextSequence[] = Array.from({ length: options.slots }, () => context.getSequence());
  const chatWrapper = resolveModelChatWrapper(model);
  const results = new Map<number, LoadSummary>();
  try {
    const generate = async (sequence: LlamaContextSequence): Promise<RequestSample> => {
      // The same chat format and sampling settings as the server's, so both do the same work.
      const chat = new LlamaChat({ contextSequence: sequence, chatWrapper, autoDisposeSequence: false });
      const started = performance.now();
      let ttftMs = Number.NaN;
      let tokens = 0;
      await chat.generateResponse(
        [{ type: "user", text: options.prompt }, { type: "model", response: [] }],
        {
          ...toLlamaSampling({ temperature: 0, stop: [] }, model),
          maxTokens: options.maxTokens,
          onTextChunk: () => {
            if (Number.isNaN(ttftMs)) ttftMs = performance.now() - started;
          },
          onToken: (t) => {
            tokens += t.length;
          },
        },
      );
      chat.dispose({ disposeSequence: false });
      return { ttftMs, latencyMs: performance.now() - started, completionTokens: tokens };
    };
    for (const concurrency of levels) {
      // Warm-up as the servers get it (run.ts): one full-length answer on each slot the level uses.
      await Promise.all(sequences.slice(0, concurrency).map(generate));
      const samples: RequestSample[] = [];
      const started = performance.now();
      await Promise.all(
        sequences.slice(0, concurrency).map(async (sequence) => {
          for (let i = 0; i < options.requestsPerWorker; i++) samples.push(await generate(sequence));
        }),
      );
      results.set(concurrency, summarize(samples, performance.now() - started));
    }
  } finally {
    await context.dispose();
    await model.dispose();
    await llama.dispose();
  }
  return results;
}

/** How {@link runDirectInChild} starts its process. */
export interface DirectProcessOptions {
  /** libuv's pool size: 1 as `shimmy`'s runners pin it, or null for libuv's default of 4. */
  poolSize: number | null;
  /** A command the process runs under, such as `["chrt", "-r", "1"]`. @default none */
  prefix?: readonly string[];
}

/**
 * Runs {@link runDirect} in a process of its own (bench/direct-child.ts), so that its libuv pool size
 * and scheduling can be set from outside, and returns each level's summary.
 */
export function runDirectInChild(options: Omit<DirectOptions, "concurrency">, levels: readonly number[], how: DirectProcessOptions): Map<number, LoadSummary> {
  const root = path.resolve(import.meta.dirname, "..");
  const env = { ...process.env };
  if (how.poolSize === null) delete env.UV_THREADPOOL_SIZE;
  else env.UV_THREADPOOL_SIZE = String(how.poolSize);
  const [command, ...args] = [...(how.prefix ?? []), process.execPath, path.join(root, "node_modules/tsx/dist/cli.mjs"), path.join(root, "bench/direct-child.ts")];
  const stdout = execFileSync(command!, [...args, JSON.stringify(options), JSON.stringify(levels)], { env, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  return new Map(JSON.parse(stdout.trim().split("\n").at(-1)!) as [number, LoadSummary][]);
}
