/**
 * The one interface every kind of step runs behind (`llm`, `tool`, `step`, `embed`, `workflow`):
 * the executor resolves a step's `with`, hands it over with an abort signal, and journals what
 * comes back. Adapters hold no run state; tests pass fakes.
 */
import type { StepKind } from "./types.js";

/** What an adapter knows of the attempt it runs. */
export interface StepContext {
  /** Aborted when the attempt times out, or the run is cancelled, times out or stops with the server. */
  signal: AbortSignal;
  runId: string;
  stepId: string;
  /** The `foreach` item, or null. */
  index: number | null;
  /** The run's nesting: 0 for a run a client started. */
  depth: number;
  /** Written on plugin audit lines: `RUN_ID/STEP_ID`. */
  requestId: string;
}

/** What an attempt produced. */
export interface StepResult {
  /** Any JSON value: what `steps.ID.output` reads. */
  output: unknown;
  /** Tokens used, for the journal (llm and embed steps). */
  usage?: { promptTokens: number; completionTokens: number };
}

/** Runs one kind of step. */
export interface StepAdapter {
  /**
   * Runs one attempt with the step's resolved `with`.
   * @throws a ShimmyError (or any error) when the attempt failed; the executor journals it and retries per the step's policy.
   */
  run(input: Record<string, unknown>, context: StepContext): Promise<StepResult>;
}

/** An adapter for each kind of step; a kind without one fails its steps with a clear error. */
export type StepAdapters = Partial<Record<StepKind, StepAdapter>>;
