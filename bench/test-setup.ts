/**
 * What the test run's global setup spends on the first-party plugin packages: packed one after
 * another in the setup's own process (scripts/first-party-plugins.ts, as before), against
 * test/helpers/first-party-packs.ts, first on an empty cache (a fresh clone: two child processes
 * side by side), then again on that cache (the next run in the same clone, CI's Node 24 run). Each
 * side packs into a folder of its own; the cache is a temporary one, never node_modules/.cache.
 * Both sides must give the same packages (integrity and wasm sha256), or the bench fails.
 *
 *   npm run build && npx tsx bench/test-setup.ts [RUNS=1]
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { packFirstPartyPlugins, type PackedPlugin } from "../scripts/first-party-plugins.js";
import { packFirstPartyPluginsOnce } from "../test/helpers/first-party-packs.js";

const runs = Number(process.argv[2] ?? 1);

async function timed<T>(what: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await what();
  return { ms: Math.round(performance.now() - started), value };
}

/** `name version integrity wasmSha256` of each package, or its build error. */
function summary(packed: Record<string, PackedPlugin>): string[] {
  return Object.entries(packed).map(([name, p]) => (p.ok ? `${name} ${p.version} ${p.integrity} ${p.wasmSha256}` : `${name} failed: ${p.error}`));
}

const temp = await mkdtemp(path.join(os.tmpdir(), "shimmy-bench-setup-"));
try {
  for (let run = 1; run <= runs; run++) {
    const dir = (name: string) => mkdtemp(path.join(temp, `${name}-`));
    const cache = await dir("cache");
    const sequential = await timed(async () => packFirstPartyPlugins(await dir("sequential")));
    const cold = await timed(async () => packFirstPartyPluginsOnce(await dir("cold"), 2, cache));
    const warm = await timed(async () => packFirstPartyPluginsOnce(await dir("warm"), 2, cache));
    const expected = summary(sequential.value);
    for (const [side, result] of [["cold", cold], ["warm", warm]] as const) {
      if (JSON.stringify(summary(result.value)) !== JSON.stringify(expected)) throw new Error(`the ${side} packages differ from the sequential ones:\n${summary(result.value).join("\n")}\n---\n${expected.join("\n")}`);
    }
    console.log(
      JSON.stringify({ run, plugins: expected.length, sequentialInProcessMs: sequential.ms, twoChildrenEmptyCacheMs: cold.ms, cachedMs: warm.ms, cpus: os.availableParallelism(), load1: os.loadavg()[0]!.toFixed(1) }),
    );
  }
} finally {
  await rm(temp, { recursive: true, force: true });
}
