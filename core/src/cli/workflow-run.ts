/**
 * `shimmy workflow run`: starts a run and follows its event stream to its end, drawing the live view
 * on stderr and writing the output on stdout; or, with `--detach`, starts it and returns. Ctrl-C
 * asks the server to cancel the run and waits for its end; a second Ctrl-C stops waiting.
 */
import { ApiError } from "./api-client.js";
import type { RunView, WorkflowClient } from "./workflow-client.js";
import { formatOutput, runFailure } from "./workflow-format.js";
import { parseInput, resolveTarget } from "./workflow-input.js";
import { LiveRunView } from "./workflow-live.js";
import type { WorkflowCliIO } from "./workflow.js";

/** What `run` was asked, parsed. */
export interface RunInvocation {
  client: WorkflowClient;
  json: boolean;
  /** FILE|NAME[@VERSION], then the key=value fields. */
  positionals: string[];
  input?: string;
  detach: boolean;
}

/** `shimmy workflow run`: starts the run and follows it to its end (or detaches at once). */
export async function runWorkflow(invocation: RunInvocation, io: WorkflowCliIO): Promise<number> {
  const { client, json } = invocation;
  const [targetArg, ...fields] = invocation.positionals;
  const input = parseInput(invocation.input, fields);
  const { target, steps } = await resolveTarget(targetArg!, client);
  const print = (body: unknown, text: () => string) => io.stdout.write(json ? JSON.stringify(body) + "\n" : text());

  if (invocation.detach) {
    const run = await client.start(target, input);
    print(run, () => `Started run ${run.id} (follow it with: shimmy workflow show ${run.id})\n`);
    return 0;
  }

  const view = new LiveRunView({ stream: io.stderr, steps, ...(io.now ? { now: io.now } : {}) });
  const reading = new AbortController();
  let interrupted = false;
  let cancelling: Promise<void> | null = null;
  const cancel = () => {
    const id = view.id;
    if (cancelling || id === null) return;
    cancelling = client.cancel(id).then(
      () => undefined,
      // A run that ended meanwhile cannot be cancelled; its end is on its way in the stream.
      (err: unknown) => void (err instanceof ApiError && err.code === "workflow_run_finished" ? undefined : view.note(`Could not cancel the run: ${(err as Error).message}`)),
    );
  };
  const stopListening = (io.onInterrupt ?? (() => () => undefined))(() => {
    if (interrupted) return reading.abort();
    interrupted = true;
    view.note("Cancelling the run (Ctrl-C again to stop waiting)…");
    cancel();
  });

  let ended: RunView | null = null;
  let lost: unknown = null;
  try {
    for await (const event of client.stream(target, input, reading.signal)) {
      if (event.type === "run") {
        ended = event.run;
        continue;
      }
      view.handle(event);
      // Ctrl-C before the run had an id: it is cancelled as soon as it has one.
      if (event.type === "run.started" && interrupted) cancel();
    }
  } catch (err) {
    // A refusal before the run started is the command's failure; once it runs, the run is kept whatever the connection does.
    if (view.id === null) {
      view.finish(null);
      throw err;
    }
    lost = err;
  } finally {
    stopListening();
  }
  await cancelling;
  view.finish(ended);

  const id = view.id;
  if (!ended || ended.status === "running" || ended.status === "pending") {
    if (interrupted && reading.signal.aborted) {
      io.stderr.write(`shimmy: stopped waiting for run ${id}${cancelling ? ", which was asked to cancel" : ""} (shimmy workflow show ${id})\n`);
      return 130;
    }
    const why = lost instanceof Error ? `: ${lost.message}` : "";
    io.stderr.write(`shimmy: lost the connection to the server during run ${id ?? "(not started)"}${why}. The run is kept and goes on when the server runs again: shimmy workflow show ${id}\n`);
    return 1;
  }
  if (json) io.stdout.write(JSON.stringify(ended) + "\n");
  else if (ended.status === "succeeded") io.stdout.write(formatOutput(ended.output));
  if (ended.status !== "succeeded" && !(interrupted && ended.status === "cancelled")) io.stderr.write(`shimmy: ${runFailure(ended)}\n`);
  // A run that succeeded before the cancel reached it has its whole output: that is a success.
  if (ended.status === "succeeded") return 0;
  return interrupted ? 130 : 1;
}

