/**
 * What the registry benches publish: plugins made from the bundled `time` plugin's files, renamed
 * (`WORD-WORD-N`) and given descriptions and keywords drawn from a small vocabulary so that search
 * queries match some packages and not others, each published through the real HTTP API
 * (`PUT /NAME`, npm's body) by a number of concurrent publishers.
 */
import path from "node:path";
import { pluginTarball, publish, TOKENS, unpack } from "../registry-server/test/helpers.js";

const ROOT = path.resolve(import.meta.dirname, "..");

/** The words names, descriptions and keywords are made of; queries use them too. */
export const WORDS = [
  "weather", "clock", "search", "files", "notes", "calendar", "email", "translate", "math", "stocks",
  "news", "maps", "music", "photos", "recipes", "travel", "fitness", "budget", "tasks", "chat",
  "github", "slack", "database", "sql", "pdf", "markdown", "images", "audio", "video", "crypto",
  "shell", "http", "json", "yaml", "csv", "graph", "vector", "embed", "rank", "route",
] as const;

/** One package to publish. */
export interface BenchPackage {
  name: string;
  version: string;
  tarball: Buffer;
}

/** A deterministic pseudo-random sequence (mulberry32), so every run publishes the same packages. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** What tells bench packages apart: the name, and the words search finds them by. */
export interface BenchSpec {
  name: string;
  description: string;
  keywords: string[];
}

/** `count` specs named `WORD-WORD-i`, with words in their description and keywords; the same every run. */
export function benchSpecs(count: number): BenchSpec[] {
  const next = random(42);
  const word = () => WORDS[Math.floor(next() * WORDS.length)]!;
  return Array.from({ length: count }, (_, i) => ({
    name: `${word()}-${word()}-${i}`,
    description: `A plugin for ${word()} and ${word()}, with ${word()} support`,
    keywords: [word(), word(), word()],
  }));
}

/** One search the benches time: its kind, its text, and the first result asked for. */
export type BenchQuery = [kind: string, text: string, from?: number];

/** The queries over {@link benchSpecs}' `count` packages, by kind: what a user types into `shimmy plugin search` or the web page. */
export function benchQueries(count: number): BenchQuery[] {
  const specs = benchSpecs(count);
  const out: BenchQuery[] = [];
  for (let i = 0; i < 8; i += 1) {
    const a = WORDS[(i * 7) % WORDS.length]!;
    const b = WORDS[(i * 13 + 3) % WORDS.length]!;
    out.push(["one word", a], ["two words", `${a} ${b}`], ["word prefix", a.slice(0, 3)], ["exact name", specs[(i * 1237) % count]!.name]);
    out.push(["keywords:", `keywords:${b}`], ["no match", `zz${a}qq`], ["page 5 of one word", a, 20 * 5]);
  }
  out.push(["everything", ""], ["author:", "author:alice"]);
  return out;
}

/** The bundled `time` plugin's files, by path under `package/`. */
export function templateFiles(): Record<string, Buffer> {
  return unpack(path.join(ROOT, "core/bundled-plugins/time-1.0.0.tgz"));
}

/** The tarball of `spec` at `version`: the template plugin renamed, with the spec's description and keywords. */
export function benchTarball(files: Record<string, Buffer>, spec: BenchSpec, version: string): Buffer {
  const pkg = { ...JSON.parse(files["package.json"]!.toString()), description: spec.description, keywords: spec.keywords };
  return pluginTarball({ ...files, "package.json": Buffer.from(JSON.stringify(pkg)) }, spec.name, version);
}

/** {@link benchSpecs}' `count` packages, each at every one of `versions` (in that order, next to each other). */
export function benchPackages(count: number, versions: readonly string[] = ["1.0.0"]): BenchPackage[] {
  const files = templateFiles();
  return benchSpecs(count).flatMap((spec) => versions.map((version) => ({ name: spec.name, version, tarball: benchTarball(files, spec, version) })));
}

/**
 * Publishes every package as alice, `publishers` requests at a time; resolves to the wall time.
 *
 * @throws when a publish is not answered 201.
 */
export async function publishAll(url: string, packages: readonly BenchPackage[], publishers: number): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: publishers }, async () => {
      while (next < packages.length) {
        const pkg = packages[next++]!;
        const answer = await publish(url, pkg.name, pkg.version, pkg.tarball, TOKENS.alice);
        if (answer.status !== 201) throw new Error(`publishing ${pkg.name}@${pkg.version}: ${answer.status} ${JSON.stringify(answer.json)}`);
      }
    }),
  );
  return performance.now() - started;
}
