/**
 * A deterministic crash point for the end-to-end tests: with `SHIMMY_REGISTRY_TEST_PAUSE=POINT`
 * the process stops forever at that point of a publish, after writing
 * `{"event":"paused","at":POINT}` to stderr, so a test can `kill -9` it exactly there.
 * Points: `after-tarball` (tarball stored, index not yet written), `before-index-rename` (the new
 * index record durable in its temp file, not yet renamed into place).
 */

/** The crash points a test may pick. */
export type PausePoint = "after-tarball" | "before-index-rename";

/** A function that never returns when `SHIMMY_REGISTRY_TEST_PAUSE` names `point`, or undefined when it does not. */
export function pauseAt(point: PausePoint, env: NodeJS.ProcessEnv = process.env): (() => Promise<void>) | undefined {
  if (env.SHIMMY_REGISTRY_TEST_PAUSE !== point) return undefined;
  return () => {
    process.stderr.write(JSON.stringify({ event: "paused", at: point }) + "\n");
    return new Promise<void>(() => {});
  };
}
