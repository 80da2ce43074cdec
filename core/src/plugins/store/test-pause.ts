/**
 * A test hook, so the end-to-end tests can kill a store command between any two of its steps on
 * purpose rather than by chance: with `SHIMMY_TEST_PAUSE_AT=STEP` in its environment, a `shimmy
 * plugin` command that reaches STEP prints `shimmy-test: paused at STEP` on stderr and waits there
 * forever; the test then kills it with SIGKILL and checks what the store looks like. Unset (as in
 * any real use), each pause point is one comparison.
 */
import { testPauseStep } from "../../config/index.js";

/** Every step a store command can be paused at, in the order each command reaches them. */
export const PAUSE_STEPS = [
  // install: the package checked and unpacked in the staging folder; nothing else changed
  "install:staged",
  // install: the new folder renamed into plugins/NAME/; the lock still names the old one (or none)
  "install:placed",
  // install: the lock names the new folder; the old folder is not removed yet
  "install:committed",
  // config / remove: the secrets journal written; secrets.json and the lock unchanged
  "config:journal-written",
  "remove:journal-written",
  // config / remove: secrets.json written; the lock not yet, so the change is not committed
  "config:secrets-written",
  "remove:secrets-written",
  // config (and enable/disable, which commit as config does) / remove: the lock written
  // (committed); the journal, if any, not yet removed
  "config:committed",
  "remove:committed",
  // remove: committed and the journal removed; the plugin's folder not removed yet
  "remove:unlinked",
  // any lock write: the temporary file written and flushed, not yet renamed over the lock
  "lock:temp-written",
] as const;

/** A step of {@link PAUSE_STEPS}. */
export type PauseStep = (typeof PAUSE_STEPS)[number];

/** The line a paused command prints on stderr, before the step's name. */
export const PAUSE_MARKER = "shimmy-test: paused at";

/** Stops here for good when `SHIMMY_TEST_PAUSE_AT` names `step`; returns at once otherwise. */
export async function pauseAt(step: PauseStep): Promise<void> {
  if (testPauseStep(process.env) !== step) return;
  process.stderr.write(`${PAUSE_MARKER} ${step}\n`);
  // A pending promise alone would let Node exit; the timer keeps the process waiting to be killed.
  setInterval(() => {}, 60_000);
  await new Promise<never>(() => {});
}
