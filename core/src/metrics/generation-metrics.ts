/**
 * Tokens in and out, time to first token and time per output token, by model, taken from the
 * request log line every generating route fills in (`http/generation-answer.ts`): one hook covers
 * chat, completions, fill in the middle, responses and every other protocol that writes those fields.
 */
import { Counter, Histogram, type Registry } from "prom-client";
import type { FinishedRequest } from "../http/request-log.js";

/** Time to first token buckets, in seconds: a warm small model to a cold load of a large one. */
const TTFT_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** Time per output token buckets, in seconds: 1,000 down to 2 tokens a second. */
const TOKEN_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5];

/** The generation metrics of one app. */
export class GenerationMetrics {
  private readonly promptTokens: Counter<"model">;
  private readonly completionTokens: Counter<"model">;
  private readonly ttft: Histogram<"model">;
  private readonly perToken: Histogram<"model">;

  constructor(registry: Registry) {
    const registers = [registry];
    this.promptTokens = new Counter({ name: "shimmy_prompt_tokens_total", help: "Prompt tokens of finished requests (embedding inputs included), by model.", labelNames: ["model"], registers });
    this.completionTokens = new Counter({ name: "shimmy_completion_tokens_total", help: "Tokens generated, by model.", labelNames: ["model"], registers });
    this.ttft = new Histogram({
      name: "shimmy_time_to_first_token_seconds",
      help: "Time from a generation request's arrival to its first output (queue wait and model load included), by model.",
      labelNames: ["model"], buckets: TTFT_BUCKETS, registers,
    });
    this.perToken = new Histogram({
      name: "shimmy_time_per_output_token_seconds",
      help: "Mean time per generated token after the first, per request with at least two, by model.",
      labelNames: ["model"], buckets: TOKEN_BUCKETS, registers,
    });
  }

  /** Counts what a finished request generated; requests that generated nothing leave no trace. */
  observe({ log, durationMs }: FinishedRequest): void {
    const model = log.model;
    if (model === undefined) return;
    if (log.promptTokens !== undefined) this.promptTokens.inc({ model }, log.promptTokens);
    if (log.completionTokens !== undefined) this.completionTokens.inc({ model }, log.completionTokens);
    if (log.ttftMs === undefined) return;
    this.ttft.observe({ model }, log.ttftMs / 1000);
    const later = (log.completionTokens ?? 0) - 1;
    // The request's end stands for the last token's: the answer is written as it is generated.
    if (later > 0) this.perToken.observe({ model }, Math.max(0, durationMs - log.ttftMs) / 1000 / later);
  }
}
