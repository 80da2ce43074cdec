/**
 * `GET /-/v1/search` latency of the real `shimmy-registry` process over `--packages` (10,000)
 * packages: p50/p95 per kind of query and over all of them (target: p95 under 20 ms).
 *   npx tsx bench/registry-search.ts [--packages 10000] [--rounds 20] [--publish]
 *
 * How the packages get there: by default they are seeded through the registry's storage interface
 * (`DiskStorage.putTarball` then `writePackage`, in the data folder, before the registry starts
 * and loads them), each record holding what a publish of its real tarball would store (package.json,
 * manifest, sha512 integrity, sha1, a signature by the registry's own key), but without the publish
 * checks: those cost ~50 ms a package, measured by `bench/registry-publish.ts`. `--publish` instead
 * publishes every one through `PUT /NAME` with 4 publishers (minutes).
 *
 * Beside the latencies, `registryCpuMsPerRequest`: the CPU time the registry process spent per
 * search (from /proc, Linux only), which a loaded machine inflates far less than wall time.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { loadSigner } from "../registry-server/src/signatures.js";
import { DiskStorage } from "../registry-server/src/storage/disk-storage.js";
import type { PackageRecord } from "../registry-server/src/storage/storage.js";
import { startRegistryProcess, writeTokenFile, type RegistryProcess } from "../registry-server/test/helpers.js";
import { benchPackages, benchQueries, benchSpecs, benchTarball, publishAll, templateFiles } from "./registry-fixture.js";
import { percentile } from "./stats.js";

const { values } = parseArgs({ options: { packages: { type: "string", default: "10000" }, rounds: { type: "string", default: "20" }, publish: { type: "boolean", default: false } } });
const count = Number(values.packages);
const rounds = Number(values.rounds);

/** Writes `count` package records (and their tarballs) through the storage interface. */
async function seed(dataDir: string): Promise<void> {
  const storage = new DiskStorage({ dir: dataDir });
  await storage.open();
  const signer = await loadSigner(dataDir);
  const files = templateFiles();
  const plugin = JSON.parse(files["shimmy-plugin.json"]!.toString()) as Record<string, unknown>;
  delete plugin.$schema;
  const specs = benchSpecs(count);
  for (let i = 0; i < specs.length; i += 256) {
    await Promise.all(
      specs.slice(i, i + 256).map(async (spec) => {
        const tarball = benchTarball(files, spec, "1.0.0");
        const integrity = `sha512-${createHash("sha512").update(tarball).digest("base64")}`;
        const now = new Date().toISOString();
        const packageJson = { ...JSON.parse(files["package.json"]!.toString()), name: spec.name, version: "1.0.0", description: spec.description, keywords: spec.keywords };
        const record: PackageRecord = {
          name: spec.name,
          owner: "alice",
          created: now,
          modified: now,
          distTags: { latest: "1.0.0" },
          versions: {
            "1.0.0": {
              packageJson,
              plugin: { ...plugin, name: spec.name, version: "1.0.0" },
              integrity,
              shasum: createHash("sha1").update(tarball).digest("hex"),
              size: tarball.length,
              signatures: [signer.sign(spec.name, "1.0.0", integrity)],
              publishedAt: now,
              publisher: "alice",
            },
          },
          readme: `# ${spec.name}\n`,
        };
        await storage.putTarball(integrity, tarball);
        await storage.writePackage(record);
      }),
    );
  }
}

/** User plus system CPU time of process `pid` so far, in ms; undefined without /proc. */
function cpuMs(pid: number | undefined): number | undefined {
  try {
    // Fields 14 and 15 of /proc/PID/stat, counted from after the command name's closing parenthesis.
    const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    const ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }));
    return ((Number(fields[11]) + Number(fields[12])) / ticksPerSecond) * 1000;
  } catch {
    return undefined;
  }
}

/** Runs every query `rounds` times (after two warm-up rounds) against `registry`; figures in ms. */
async function measure(registry: RegistryProcess) {
  const url = registry.url;
  const byKind = new Map<string, number[]>();
  const all: number[] = [];
  const queries = benchQueries(count);
  let hits = 0;
  let cpuAtStart: number | undefined;
  for (let round = -2; round < rounds; round += 1) {
    if (round === 0) cpuAtStart = cpuMs(registry.child.pid);
    for (const [kind, text, from] of queries) {
      const started = performance.now();
      const response = await fetch(`${url}/-/v1/search?text=${encodeURIComponent(text)}&size=20${from ? `&from=${from}` : ""}`);
      const body = (await response.json()) as { total: number };
      const ms = performance.now() - started;
      if (response.status !== 200) throw new Error(`search ${text}: ${response.status}`);
      if (round < 0) continue; // warm-up rounds
      hits += body.total;
      all.push(ms);
      byKind.set(kind, [...(byKind.get(kind) ?? []), ms]);
    }
  }
  const cpuAtEnd = cpuMs(registry.child.pid);
  const ms = (v: number) => Math.round(v * 100) / 100;
  return {
    requests: all.length,
    ...(cpuAtStart !== undefined && cpuAtEnd !== undefined ? { registryCpuMsPerRequest: ms((cpuAtEnd - cpuAtStart) / all.length) } : {}),
    meanHits: Math.round(hits / all.length),
    p50: ms(percentile(all, 50)),
    p95: ms(percentile(all, 95)),
    max: ms(Math.max(...all)),
    byKind: Object.fromEntries([...byKind].map(([kind, t]) => [kind, { p50: ms(percentile(t, 50)), p95: ms(percentile(t, 95)) }])),
  };
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), "shimmy-bench-search-"));
const dataDir = path.join(work, "data");
const tokenFile = writeTokenFile(work);
try {
  let loadMs = performance.now();
  if (!values.publish) await seed(dataDir);
  loadMs = performance.now() - loadMs;
  let registry = await startRegistryProcess({ dataDir, tokenFile });
  try {
    // Published: measured in the process that took the publishes, then in a fresh one that loaded
    // the same records from disk (what a seeded run measures).
    let afterPublishes;
    if (values.publish) {
      loadMs = await publishAll(registry.url, benchPackages(count), 4);
      afterPublishes = await measure(registry);
      await registry.stop();
      registry = await startRegistryProcess({ dataDir, tokenFile });
    }
    const figures = await measure(registry);
    process.stdout.write(
      JSON.stringify({
        bench: "registry-search",
        packages: count,
        loadedBy: values.publish ? "PUT /NAME, 4 publishers" : "DiskStorage (storage interface)",
        loadMs: Math.round(loadMs),
        ...(afterPublishes ? { inPublishingProcess: afterPublishes, freshProcess: figures } : figures),
      }) + "\n",
    );
  } finally {
    await registry.stop();
  }
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
