/**
 * The install-time build (`prepare`): esbuild turns each workspace's `src/**\/*.ts` into
 * `dist/**\/*.js`, file by file, in a second or two, then builds the web page. `npm install &&
 * npx shimmy serve` needs runnable JavaScript, not type checking: tsc took ~30 s of a fresh clone's
 * first minute. `npm run build` (which `npm test` runs first) stays the full tsc build, with type
 * errors and declaration files; tsconfig.base.json sets `isolatedModules`, so tsc refuses whatever
 * a file-by-file transpiler would get wrong (a type re-exported as a value).
 *
 * Plain Node on purpose: it runs inside `npm install`, before anything else is built.
 */
import { build } from "esbuild";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
/** The workspaces in dependency order, with the source files tsc leaves out of dist. */
const workspaces = ["plugins-sdk", "core", "registry-server"];
const excluded = /\.(test|fixture)\.ts$/;

/** Every `.ts` file under `dir`, recursively, but tests and fixtures. */
function sources(dir) {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") && !excluded.test(entry.name))
    .map((entry) => path.join(entry.parentPath, entry.name));
}

const started = Date.now();
for (const workspace of workspaces) {
  const src = path.join(root, workspace, "src");
  // A tsc build's record would call stale output up to date; this output is not tsc's.
  fs.rmSync(path.join(root, workspace, "dist", ".tsbuildinfo"), { force: true });
  await build({
    entryPoints: sources(src),
    outdir: path.join(root, workspace, "dist"),
    outbase: src,
    format: "esm",
    platform: "node",
    target: "node20",
    sourcemap: "linked",
    logLevel: "warning",
  });
}
// Then the web page, and the validators every command start would otherwise compile (as `npm run build` does).
for (const script of ["core/scripts/build-web.mjs", "plugins-sdk/scripts/standalone-validators.mjs", "core/scripts/standalone-validators.mjs"]) {
  const step = spawnSync(process.execPath, [path.join(root, script)], { stdio: "inherit", cwd: path.join(root, script.split("/")[0]) });
  if (step.status !== 0) process.exit(step.status ?? 1);
}
process.stderr.write(`transpiled ${workspaces.join(", ")} in ${((Date.now() - started) / 1000).toFixed(1)} s (npm run build type-checks)\n`);
