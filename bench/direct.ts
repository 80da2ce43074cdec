/**
 * The same generation as the servers run, driven directly through node-llama-cpp in this
 * process: one context with the same slots and threads, N concurrent chats, the same prompt and
 * greedy sampling. It is what Shimmy's own overhead is measured against.
 */
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
