/**
 * Pure functions from stored records to npm's wire format, and back to one version: the packument
 * a client reads at `GET /NAME`, and {@link pickVersion}, npm-pick-manifest's choice of a version
 * for a tag or range. Nothing here does I/O.
 */
import semver from "semver";
import { tarballPath } from "./names.js";
import type { PackageRecord, VersionRecord } from "./storage/storage.js";

/** One version as npm reads it: package.json's fields plus `_id`, `dist` and the plugin manifest. */
export type PackumentVersion = Record<string, unknown> & {
  name: string;
  version: string;
  _id: string;
  /** `shimmy-plugin.json`, so a client shows a plugin's permissions before downloading it. */
  shimmyPlugin: Record<string, unknown>;
  dist: { tarball: string; integrity: string; shasum: string; signatures: { keyid: string; sig: string }[]; unpackedSize?: number };
  deprecated?: string;
};

/** npm's packument: every version of one name. */
export interface Packument {
  _id: string;
  name: string;
  description?: string;
  "dist-tags": Record<string, string>;
  versions: Record<string, PackumentVersion>;
  time: Record<string, string>;
  maintainers: { name: string }[];
  readme?: string;
  readmeFilename?: string;
}

/** One version in wire format; `baseUrl` is the registry's origin, without a trailing slash. */
export function packumentVersion(name: string, record: VersionRecord, baseUrl: string): PackumentVersion {
  // Fields npm or the registry own are never taken from the tarball's package.json.
  const own = Object.fromEntries(Object.entries(record.packageJson).filter(([key]) => !key.startsWith("_") && key !== "dist" && key !== "deprecated" && key !== "shimmyPlugin"));
  const version = String(record.packageJson.version);
  return {
    ...own,
    name,
    version,
    _id: `${name}@${version}`,
    _npmUser: { name: record.publisher },
    maintainers: [{ name: record.publisher }],
    shimmyPlugin: record.plugin,
    dist: {
      tarball: `${baseUrl}${tarballPath(name, version)}`,
      integrity: record.integrity,
      shasum: record.shasum,
      signatures: record.signatures,
    },
    ...(record.deprecated ? { deprecated: record.deprecated } : {}),
  };
}

/** The packument of `record`, with tarball URLs on `baseUrl`. */
export function packument(record: PackageRecord, baseUrl: string): Packument {
  const versions: Record<string, PackumentVersion> = {};
  const time: Record<string, string> = { created: record.created, modified: record.modified };
  for (const [version, entry] of Object.entries(record.versions)) {
    versions[version] = packumentVersion(record.name, entry, baseUrl);
    time[version] = entry.publishedAt;
  }
  const latest = record.versions[record.distTags.latest ?? ""];
  const description = latest?.packageJson.description;
  return {
    _id: record.name,
    name: record.name,
    ...(typeof description === "string" ? { description } : {}),
    "dist-tags": record.distTags,
    versions,
    time,
    maintainers: [{ name: record.owner }],
    ...(record.readme !== undefined ? { readme: record.readme, readmeFilename: "README.md" } : {}),
  };
}

/** The version `latest` points at, else the highest one. */
export function latestVersion(record: PackageRecord): VersionRecord | undefined {
  const tagged = record.distTags.latest;
  if (tagged && record.versions[tagged]) return record.versions[tagged];
  const highest = semver.rsort(Object.keys(record.versions))[0];
  return highest === undefined ? undefined : record.versions[highest];
}

/**
 * The version of `packument` that `spec` (a dist-tag, a version or a semver range) selects, as
 * npm-pick-manifest does: a tag wins; otherwise `latest` when it satisfies the range; otherwise
 * the highest satisfying version that is not deprecated, else the highest deprecated one. Null
 * when nothing matches.
 */
export function pickVersion(packument: Pick<Packument, "dist-tags" | "versions">, spec = "latest"): string | null {
  const tagged = packument["dist-tags"][spec];
  if (tagged !== undefined) return packument.versions[tagged] ? tagged : null;
  const range = spec === "" ? "*" : spec;
  if (semver.validRange(range) === null) return null;
  const latest = packument["dist-tags"].latest;
  if (latest && packument.versions[latest] && semver.satisfies(latest, range)) return latest;
  const matching = semver.rsort(Object.keys(packument.versions).filter((v) => semver.satisfies(v, range)));
  return matching.find((v) => !packument.versions[v]!.deprecated) ?? matching[0] ?? null;
}
