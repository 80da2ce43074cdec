/**
 * An npm registry made from the workspace's `package-lock.json`, so a test can `npm install` packed
 * tarballs with no network: each packument holds the versions the lock holds (their dependencies,
 * platforms, bins and sha512 integrity), and npm takes every tarball from its own cache by that
 * integrity (`npm ci` filled it). The workspace's own packages (links in the lock) are not served:
 * they are installed from their tarballs. A tarball that npm still asks for is one its cache lacks:
 * answered 404 and listed in `missing`, so the test can say which.
 */
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import semver from "semver";

/** A running registry. */
export interface LockRegistry {
  url: string;
  /** Packuments served, by package name. */
  served: Set<string>;
  /** Tarball URLs npm asked for (none when its cache holds them all). */
  missing: string[];
  close(): Promise<void>;
}

type LockEntry = Record<string, unknown> & { version?: string; integrity?: string; link?: boolean };

/** The fields of a lock entry that a packument's version carries too. */
const MANIFEST_FIELDS = [
  "dependencies", "optionalDependencies", "peerDependencies", "peerDependenciesMeta", "bin", "engines", "os", "cpu", "libc",
  "hasInstallScript", "license",
];

/** `node_modules/a/node_modules/@s/b` → `@s/b`. */
function nameAt(location: string): string {
  return location.slice(location.lastIndexOf("node_modules/") + "node_modules/".length);
}

/** Options of {@link startLockRegistry}. */
export interface LockRegistryOptions {
  /** Optional dependencies to leave out of every packument (so npm never installs them). */
  dropOptional?: (name: string) => boolean;
}

/** Packuments for every registry package in the lock, each listing the versions it holds. */
export function packumentsFromLock(
  lock: { packages: Record<string, LockEntry> },
  url: string,
  options: LockRegistryOptions = {},
): Map<string, Record<string, unknown>> {
  const versions = new Map<string, Map<string, Record<string, unknown>>>();
  for (const [location, entry] of Object.entries(lock.packages)) {
    if (!location.includes("node_modules/") || entry.link || !entry.version || !entry.integrity) continue;
    const name = nameAt(location);
    const manifest: Record<string, unknown> = { name, version: entry.version };
    for (const field of MANIFEST_FIELDS) if (entry[field] !== undefined) manifest[field] = entry[field];
    const optional = entry.optionalDependencies as Record<string, string> | undefined;
    if (optional && options.dropOptional) {
      const kept = Object.entries(optional).filter(([dep]) => !options.dropOptional!(dep));
      manifest.optionalDependencies = Object.fromEntries(kept);
    }
    const file = `${name.replace(/^@[^/]+\//, "")}-${entry.version}.tgz`;
    manifest.dist = { tarball: `${url}/${name}/-/${file}`, integrity: entry.integrity };
    if (!versions.has(name)) versions.set(name, new Map());
    versions.get(name)!.set(entry.version, manifest);
  }
  const packuments = new Map<string, Record<string, unknown>>();
  for (const [name, byVersion] of versions) {
    const latest = semver.rsort([...byVersion.keys()])[0]!;
    packuments.set(name, { name, "dist-tags": { latest }, versions: Object.fromEntries(byVersion) });
  }
  return packuments;
}

/** Serves the packuments of `lockFile` on a loopback port. */
export async function startLockRegistry(lockFile: string, options: LockRegistryOptions = {}): Promise<LockRegistry> {
  const lock = JSON.parse(fs.readFileSync(lockFile, "utf8")) as { packages: Record<string, LockEntry> };
  let packuments = new Map<string, Record<string, unknown>>();
  const registry: LockRegistry = { url: "", served: new Set(), missing: [], close: () => Promise.resolve() };
  const server = http.createServer((req, res) => {
    const name = decodeURIComponent((req.url ?? "/").slice(1).split("?")[0]!);
    const packument = packuments.get(name);
    if (!packument) {
      if (name.includes("/-/")) registry.missing.push(`${registry.url}${req.url}`);
      res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: "not found" }));
      return;
    }
    registry.served.add(name);
    // no-store: npm's cache keeps nothing of this registry, whose port changes on every run.
    res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" }).end(JSON.stringify(packument));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  registry.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  packuments = packumentsFromLock(lock, registry.url, options);
  registry.close = () => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(() => resolve()));
  };
  return registry;
}
