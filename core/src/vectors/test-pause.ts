/**
 * A test hook, as the plugin store's (plugins/store/test-pause.ts): with
 * `SHIMMY_TEST_PAUSE_AT=STEP`, ingestion that reaches STEP prints `shimmy-test: paused at STEP` on
 * stderr and waits there for good, so an end-to-end test can SIGKILL the server at that exact point;
 * with `STEP@FILENAME`, only the ingestion of a file of that name pauses (the others run, so one
 * server can ingest, be searched, and then be killed mid-ingestion). Unset (any real use), each
 * pause point is one comparison.
 */
import { testPauseStep } from "../config/index.js";

/** Where ingestion can be paused, in the order a file reaches them. */
export type IngestPauseStep =
  // every chunk embedded; nothing written to the database yet
  | "vectors:embedded"
  // the chunks committed to the database; not yet in the vector index, nor the index saved
  | "vectors:committed";

/** The line a paused process prints on stderr, before the step's name. */
export const PAUSE_MARKER = "shimmy-test: paused at";

/** Stops here for good when `SHIMMY_TEST_PAUSE_AT` names `step` (or `step@` the file's name); returns at once otherwise. */
export async function pauseAt(step: IngestPauseStep, filename: () => string | undefined): Promise<void> {
  const wanted = testPauseStep(process.env);
  if (wanted === null || (wanted !== step && wanted !== `${step}@${filename()}`)) return;
  process.stderr.write(`${PAUSE_MARKER} ${step}\n`);
  setInterval(() => {}, 60_000);
  await new Promise<never>(() => {});
}
