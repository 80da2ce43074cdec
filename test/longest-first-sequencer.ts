/**
 * The order test files start in: longest first, so that on two workers no long file starts last
 * and stretches the run. Vitest's own sequencer knows a file's duration only from its results
 * cache (node_modules/.vite), which a fresh clone lacks; it then starts files by size, and a long
 * end-to-end file may start last. This one falls back to the durations committed in
 * `test/file-durations.json` (the slow files of a fresh-clone run), and then to size.
 */
import fs from "node:fs";
import path from "node:path";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/** Milliseconds per file (path from the repository root), from a fresh-clone run of the suite. */
const COMMITTED: Record<string, number> = JSON.parse(fs.readFileSync(new URL("./file-durations.json", import.meta.url), "utf8")).durations;

/** Orders test files by their expected duration, longest first. */
export class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const root = this.ctx.config.root;
    const known = (spec: TestSpecification): number | undefined => {
      const file = path.relative(root, spec.moduleId).split(path.sep).join("/");
      return this.ctx.cache.getFileTestResults(`${spec.project.name}:${file}`)?.duration ?? COMMITTED[file];
    };
    const size = (spec: TestSpecification): number => {
      const file = path.relative(root, spec.moduleId).split(path.sep).join("/");
      return this.ctx.cache.getFileStats(`${spec.project.name}:${file}`)?.size ?? 0;
    };
    // Files with a known duration first, longest first; then the others, largest first.
    return [...files].sort((a, b) => {
      const [da, db] = [known(a), known(b)];
      if (da !== undefined && db !== undefined) return db - da;
      if (da !== undefined) return -1;
      if (db !== undefined) return 1;
      return size(b) - size(a);
    });
  }
}
