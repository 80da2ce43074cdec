/** Maps wire-neutral sampling settings onto node-llama-cpp's generation options. */
import { randomInt } from "node:crypto";
import { TokenBias, type LlamaModel, type LLamaChatGenerateResponseOptions, type Token } from "node-llama-cpp";
import type { SamplingParams } from "./types.js";

/**
 * llama.cpp server's defaults, which suit small local models better than OpenAI's bare
 * temperature 1; a request's own values always win.
 */
export const DEFAULT_SAMPLING = { temperature: 0.8, topK: 40, topP: 0.95, minP: 0.05 } as const;

/** Tokens the presence and frequency penalties look back over, as llama.cpp's `repeat_last_n`. */
const PENALTY_WINDOW = 64;

/** The options node-llama-cpp's chat and completion generators share. */
export type LlamaSamplingOptions = Pick<
  LLamaChatGenerateResponseOptions,
  "temperature" | "topK" | "topP" | "minP" | "seed" | "repeatPenalty" | "tokenBias" | "customStopTriggers"
>;

/** Converts the request's sampling settings for node-llama-cpp. */
export function toLlamaSampling(params: SamplingParams, model: LlamaModel): LlamaSamplingOptions {
  const presencePenalty = params.presencePenalty ?? 0;
  const frequencyPenalty = params.frequencyPenalty ?? 0;
  let tokenBias: TokenBias | undefined;
  if (params.logitBias && Object.keys(params.logitBias).length > 0) {
    tokenBias = new TokenBias(model.tokenizer);
    for (const [token, bias] of Object.entries(params.logitBias)) {
      // OpenAI's -100 bans a token; smaller magnitudes shift its logit.
      tokenBias.set(Number(token) as Token, bias <= -100 ? "never" : { logit: bias });
    }
  }
  return {
    temperature: params.temperature ?? DEFAULT_SAMPLING.temperature,
    topK: params.topK ?? DEFAULT_SAMPLING.topK,
    topP: params.topP ?? DEFAULT_SAMPLING.topP,
    minP: params.minP ?? DEFAULT_SAMPLING.minP,
    // Without a seed node-llama-cpp seeds with the current second, so the same request sent twice
    // within a second (a retry, a "regenerate", n parallel users) got the same answer; llama.cpp's
    // server draws a fresh seed instead, and so do we.
    seed: params.seed ?? randomInt(0, 0xffff_ffff),
    // OpenAI has no multiplicative repeat penalty; only the two additive ones, when asked for.
    repeatPenalty:
      presencePenalty === 0 && frequencyPenalty === 0
        ? false
        : { penalty: 1, presencePenalty, frequencyPenalty, lastTokens: PENALTY_WINDOW },
    tokenBias,
    customStopTriggers: params.stop.length > 0 ? params.stop : undefined,
  };
}
