/**
 * Publish throughput of the real `shimmy-registry` process: `--publishers` concurrent publishers
 * (default 4) PUT npm publish bodies (a ~24 KB plugin tarball, base64) until `--packages` versions
 * are published. Each name is published twice (1.0.0 and 1.1.0) by two publishers at once, the
 * case where a registry can lose a version. Afterwards every packument is read back, then the
 * registry is restarted on its data folder and read again: no version may be missing.
 *   npx tsx bench/registry-publish.ts [--packages 2000] [--publishers 4]
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { startRegistryProcess, writeTokenFile } from "../registry-server/test/helpers.js";
import { benchPackages, publishAll, type BenchPackage } from "./registry-fixture.js";

const { values } = parseArgs({ options: { packages: { type: "string", default: "2000" }, publishers: { type: "string", default: "4" } } });
const publishers = Number(values.publishers);
const packages = benchPackages(Math.ceil(Number(values.packages) / 2), ["1.0.0", "1.1.0"]);

/** Versions missing from the registry at `url`, as `name@version`. */
async function missing(url: string, expected: readonly BenchPackage[]): Promise<string[]> {
  const lost: string[] = [];
  const names = [...new Set(expected.map((p) => p.name))];
  for (let i = 0; i < names.length; i += 32) {
    const docs = await Promise.all(names.slice(i, i + 32).map(async (name) => [name, (await (await fetch(`${url}/${name}`)).json()) as { versions?: Record<string, unknown> }] as const));
    for (const [name, doc] of docs) {
      for (const pkg of expected.filter((p) => p.name === name)) if (!doc.versions?.[pkg.version]) lost.push(`${name}@${pkg.version}`);
    }
  }
  return lost;
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), "shimmy-bench-publish-"));
const dataDir = path.join(work, "data");
const tokenFile = writeTokenFile(work);
let registry = await startRegistryProcess({ dataDir, tokenFile });
try {
  const wallMs = await publishAll(registry.url, packages, publishers);
  const lostLive = await missing(registry.url, packages);
  await registry.stop();
  registry = await startRegistryProcess({ dataDir, tokenFile });
  const lostAfterRestart = await missing(registry.url, packages);
  process.stdout.write(
    JSON.stringify({
      bench: "registry-publish",
      publishers,
      published: packages.length,
      tarballBytes: packages[0]!.tarball.length,
      wallMs: Math.round(wallMs),
      packagesPerSecond: Math.round((packages.length / wallMs) * 1000 * 10) / 10,
      lost: lostLive.length,
      lostAfterRestart: lostAfterRestart.length,
      ...(lostLive.length + lostAfterRestart.length > 0 ? { examples: [...lostLive, ...lostAfterRestart].slice(0, 5) } : {}),
    }) + "\n",
  );
  if (lostLive.length + lostAfterRestart.length > 0) process.exitCode = 1;
} finally {
  await registry.stop();
  fs.rmSync(work, { recursive: true, force: true });
}
