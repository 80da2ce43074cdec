/**
 * How both run-starting routes answer (`POST /api/workflows/{name}/runs`, `POST /api/workflow-runs`):
 * 202 with the run as it starts; with `wait: true`, the run once it has ended; with `stream: true`,
 * server-sent events per step and the ended run last. The run itself does not depend on the
 * request: a client that hangs up leaves it running, to be read later by its id.
 */
import { PassThrough } from "node:stream";
import type { ShimmyContext } from "../http/request-context.js";
import { SSE_DONE, SSE_HEADERS, sseData } from "../http/sse.js";
import { ShimmyError } from "../errors.js";
import type { StoredRun } from "../state/workflow-runs-repo.js";
import type { RunEvent } from "../workflows/run-events.js";
import type { WorkflowPlan } from "../workflows/planner.js";
import { runSummary, type RunView } from "../workflows/run-view.js";
import type { WorkflowRuns } from "../workflows/workflow-runs.js";

/** The longest `Idempotency-Key` header taken. */
const MAX_KEY_LENGTH = 255;

/** What a run-starting request asked for. */
export interface RunRequest {
  plan: WorkflowPlan;
  /** The saved version; null for an inline document. */
  version: number | null;
  input: unknown;
  wait: boolean;
  stream: boolean;
}

/** Starts (or, for a known `Idempotency-Key`, finds) the run and answers as the request asked. */
export async function answerRun(ctx: ShimmyContext, runs: WorkflowRuns, request: RunRequest, view: (id: string) => Promise<RunView>): Promise<void> {
  const idempotencyKey = idempotencyKeyOf(ctx);
  if (request.stream) return streamRun(ctx, runs, request, idempotencyKey, view);
  const { run, created } = await runs.start({ plan: request.plan, version: request.version, input: request.input, idempotencyKey });
  if (!created) ctx.set("Idempotent-Replayed", "true");
  if (request.wait) {
    await runs.wait(run.id);
    ctx.body = await view(run.id);
    return;
  }
  ctx.status = 202;
  ctx.set("Location", `/api/workflow-runs/${run.id}`);
  ctx.body = runSummary(run);
}

/** Streams the run's events, then the ended run as a `run` event, then `[DONE]`. */
async function streamRun(ctx: ShimmyContext, runs: WorkflowRuns, request: RunRequest, idempotencyKey: string | null, view: (id: string) => Promise<RunView>): Promise<void> {
  const out = new PassThrough();
  // A client that hangs up destroys the stream; the run goes on, and its events go nowhere.
  out.on("error", () => undefined);
  const write = (event: RunEvent) => {
    if (!out.writableEnded && !out.destroyed) out.write(sseData(event));
  };
  const { run, created } = await runs.start({ plan: request.plan, version: request.version, input: request.input, idempotencyKey, onEvent: write });
  ctx.status = 200;
  ctx.set(SSE_HEADERS);
  if (!created) ctx.set("Idempotent-Replayed", "true");
  ctx.body = out;
  ctx.state.log.stream = true;
  // The database may be closing (a shutdown): the stream still ends.
  void finishStream(runs, run, out, view).catch(() => undefined);
}

async function finishStream(runs: WorkflowRuns, run: StoredRun, out: PassThrough, view: (id: string) => Promise<RunView>): Promise<void> {
  try {
    await runs.wait(run.id);
    const ended = await view(run.id);
    if (!out.destroyed) out.write(sseData({ type: "run", run: ended }));
  } finally {
    if (!out.destroyed) out.end(SSE_DONE);
  }
}

/** The request's `Idempotency-Key`, or null. */
function idempotencyKeyOf(ctx: ShimmyContext): string | null {
  const key = ctx.get("idempotency-key");
  if (key === "") return null;
  if (key.length > MAX_KEY_LENGTH) throw new ShimmyError("invalid_parameter", `The Idempotency-Key header must be at most ${MAX_KEY_LENGTH} characters`, { param: "Idempotency-Key" });
  return key;
}
