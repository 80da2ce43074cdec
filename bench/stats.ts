/** Figures of one load run, and the percentiles they are made of. */

/** The p-th percentile (0..100) of `values`, by nearest rank; NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

/** What one request measured, in milliseconds and tokens. */
export interface RequestSample {
  ttftMs: number;
  latencyMs: number;
  completionTokens: number;
}

/** Aggregate figures of a run. */
export interface LoadSummary {
  requests: number;
  tokens: number;
  wallMs: number;
  tokensPerSecond: number;
  ttftP50: number;
  ttftP95: number;
  latencyP50: number;
  latencyP95: number;
}

/** Sums and percentiles of a run's samples over its wall time. */
export function summarize(samples: readonly RequestSample[], wallMs: number): LoadSummary {
  const tokens = samples.reduce((sum, s) => sum + s.completionTokens, 0);
  return {
    requests: samples.length,
    tokens,
    wallMs,
    tokensPerSecond: tokens / (wallMs / 1000),
    ttftP50: percentile(samples.map((s) => s.ttftMs), 50),
    ttftP95: percentile(samples.map((s) => s.ttftMs), 95),
    latencyP50: percentile(samples.map((s) => s.latencyMs), 50),
    latencyP95: percentile(samples.map((s) => s.latencyMs), 95),
  };
}
