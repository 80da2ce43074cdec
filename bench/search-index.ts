/**
 * The registry's `SearchIndex` alone, in this process, over `--packages` (10,000) of the search
 * bench's packages: query time (search plus the JSON of its answer, as the route sends it) when
 * the index was filled the way a restarted registry fills it (records parsed from disk, in name
 * order) and the way a registry that took every publish did (records built one publish at a time,
 * in publish order, with each publish's garbage between them, `--versions` publishes per package).
 * Each layout runs in a child process of its own, so neither inherits the other's heap. It
 * reproduces in seconds what `registry-search.ts --publish` needs minutes of publishing for.
 *   npx tsx bench/search-index.ts [--packages 10000] [--rounds 20] [--versions 2]
 */
import { spawnSync } from "node:child_process";
import { parseArgs } from "node:util";
import { SearchIndex } from "../registry-server/src/search.js";
import type { PackageRecord } from "../registry-server/src/storage/storage.js";
import { benchQueries, benchSpecs, type BenchSpec } from "./registry-fixture.js";
import { percentile } from "./stats.js";

const { values } = parseArgs({
  options: { packages: { type: "string", default: "10000" }, rounds: { type: "string", default: "20" }, versions: { type: "string", default: "2" }, layout: { type: "string" } },
});
const count = Number(values.packages);
const rounds = Number(values.rounds);
const versions = Array.from({ length: Number(values.versions) }, (_, i) => `1.0.${i}`);

/** The record a publish of `spec` at `version` stores, made as the registry makes it: from the parsed tarball's package.json. */
function publishRecord(spec: BenchSpec, version: string, previous: PackageRecord | undefined): PackageRecord {
  const now = new Date().toISOString();
  const packageJson = JSON.parse(Buffer.from(JSON.stringify({ name: spec.name, version, description: spec.description, keywords: spec.keywords, type: "module", license: "MIT" })).toString("utf8"));
  const plugin = { name: spec.name, version, capabilities: [{ kind: "tool", name: "now", description: "The current time" }], permissions: {} };
  return {
    name: spec.name,
    owner: previous?.owner ?? "alice",
    created: previous?.created ?? now,
    modified: now,
    distTags: { ...previous?.distTags, latest: version },
    versions: { ...previous?.versions, [version]: { packageJson, plugin, integrity: `sha512-${"x".repeat(86)}==`, shasum: "0".repeat(40), size: 4096, signatures: [], publishedAt: now, publisher: "alice" } },
    readme: `# ${spec.name}\n`,
  };
}

/** The index as a restarted registry builds it: every record parsed from its file, in name order. */
function restarted(): SearchIndex {
  const files = benchSpecs(count)
    .map((spec) => versions.reduce<PackageRecord | undefined>((previous, version) => publishRecord(spec, version, previous), undefined)!)
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .map((record) => JSON.stringify(record));
  const index = new SearchIndex();
  for (const file of files) index.set(JSON.parse(file) as PackageRecord);
  return index;
}

/** The index of the process that took every publish, in publish order, each leaving garbage behind (a body, its tarball, parsed JSON). */
function published(): SearchIndex {
  const index = new SearchIndex();
  const records = new Map<string, PackageRecord>();
  let inFlight: unknown[] = [];
  for (const version of versions) {
    for (const spec of benchSpecs(count)) {
      inFlight.push(Buffer.alloc(8192), Array.from({ length: 300 }, (_, i) => ({ i, path: `package/${spec.name}/${i}` })));
      if (inFlight.length > 400) inFlight = inFlight.slice(200);
      const record = publishRecord(spec, version, records.get(spec.name));
      records.set(spec.name, record);
      index.set(record);
    }
  }
  return index;
}

/** Times every query `rounds` times after three warm-up rounds; ms. */
function measure(index: SearchIndex) {
  const queries = benchQueries(count);
  const byKind = new Map<string, number[]>();
  const all: number[] = [];
  let cpu = process.cpuUsage();
  for (let round = -3; round < rounds; round += 1) {
    if (round === 0) cpu = process.cpuUsage();
    for (const [kind, text, from] of queries) {
      const started = performance.now();
      JSON.stringify(index.search({ text, size: 20, from }, "http://127.0.0.1:4873"));
      const ms = performance.now() - started;
      if (round < 0) continue;
      all.push(ms);
      byKind.set(kind, [...(byKind.get(kind) ?? []), ms]);
    }
  }
  const used = process.cpuUsage(cpu);
  const ms = (v: number) => Math.round(v * 1000) / 1000;
  return {
    cpuMsPerQuery: ms((used.user + used.system) / 1000 / all.length),
    p50: ms(percentile(all, 50)),
    p95: ms(percentile(all, 95)),
    byKind: Object.fromEntries([...byKind].map(([kind, t]) => [kind, `${ms(percentile(t, 50))} / ${ms(percentile(t, 95))}`])),
  };
}

if (values.layout) {
  process.stdout.write(JSON.stringify(measure(values.layout === "published" ? published() : restarted())) + "\n");
} else {
  const run = (layout: string) => {
    const child = spawnSync(process.execPath, [...process.execArgv, import.meta.filename, ...process.argv.slice(2), "--layout", layout], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
    if (child.status !== 0) throw new Error(`the ${layout} run exited with ${child.status}`);
    return JSON.parse(child.stdout) as unknown;
  };
  process.stdout.write(JSON.stringify({ bench: "search-index", packages: count, versions: versions.length, restarted: run("restarted"), published: run("published") }) + "\n");
}
