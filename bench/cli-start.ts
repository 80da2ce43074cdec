/**
 * What a `shimmy plugin` command's start costs with the validators compiled at build time (ajv
 * standalone code in plugins-sdk/dist/manifest-validator.cjs and core/dist/plugins/store/lock-validator.cjs)
 * and without them (moved aside for the run, so each command compiles its schemas at start, as
 * before). Both sides run alternately in one run, on a store holding the calculator plugin; the
 * figures are the medians of wall time and of user+sys CPU (/usr/bin/time) per command.
 *
 *   npm run build && npx tsx bench/cli-start.ts [RUNS=20]
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { packPlugin } from "@shimmy/plugin-sdk/pack";

const ROOT = path.resolve(import.meta.dirname, "..");
const BIN = path.join(ROOT, "core/bin/shimmy.cjs");
const PRECOMPILED = [path.join(ROOT, "plugins-sdk/dist/manifest-validator.cjs"), path.join(ROOT, "core/dist/plugins/store/lock-validator.cjs")];
const runs = Number(process.argv[2] ?? 20);

for (const file of PRECOMPILED) if (!fs.existsSync(file)) throw new Error(`${file} is missing: run npm run build first`);
const home = fs.mkdtempSync(path.join(os.tmpdir(), "shimmy-cli-bench-"));
const env = { PATH: process.env.PATH ?? "", HOME: home, SHIMMY_HOME: path.join(home, ".shimmy"), XDG_CACHE_HOME: path.join(home, ".cache") };

/** One `shimmy ARGS` to its end: wall ms and user+sys CPU ms. */
function timed(args: string[]): { wall: number; cpu: number } {
  const started = performance.now();
  const run = spawnSync("/usr/bin/time", ["-f", "cpu %U %S", process.execPath, BIN, ...args], { env, encoding: "utf8" });
  const wall = performance.now() - started;
  if (run.status !== 0) throw new Error(`shimmy ${args.join(" ")} failed: ${run.stderr}`);
  const [, user, sys] = /cpu (\S+) (\S+)\s*$/.exec(run.stderr) ?? [];
  return { wall, cpu: (Number(user) + Number(sys)) * 1000 };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

try {
  const tgz = path.join(home, "calculator.tgz");
  await packPlugin(path.join(ROOT, "plugins/calculator"), { out: tgz });
  timed(["plugin", "install", tgz, "--yes"]);
  const sides = { precompiled: { wall: [] as number[], cpu: [] as number[] }, "compiled at start": { wall: [] as number[], cpu: [] as number[] } };
  for (let i = 0; i < runs; i++) {
    for (const side of ["precompiled", "compiled at start"] as const) {
      if (side === "compiled at start") for (const file of PRECOMPILED) fs.renameSync(file, `${file}.bench`);
      try {
        const { wall, cpu } = timed(["plugin", "list"]);
        sides[side].wall.push(wall);
        sides[side].cpu.push(cpu);
      } finally {
        if (side === "compiled at start") for (const file of PRECOMPILED) fs.renameSync(`${file}.bench`, file);
      }
    }
  }
  console.log(`shimmy plugin list, one plugin installed, ${runs} runs per side (medians)`);
  for (const [side, { wall, cpu }] of Object.entries(sides)) console.log(`${side.padEnd(18)} wall ${median(wall).toFixed(0).padStart(5)} ms   cpu ${median(cpu).toFixed(0).padStart(5)} ms`);
} finally {
  fs.rmSync(home, { recursive: true, force: true });
}
