/**
 * The one resolver of `NAME[@RANGE|@TAG]` against a packument, with npm-pick-manifest's rules, as a
 * pure function: a dist-tag names its version; an exact version must exist; for a range, the
 * `latest` tag wins when it satisfies it and is neither deprecated nor made for another core, else
 * the highest satisfying version, preferring one that is not deprecated and supports this core
 * (npm's "engine ok"). Prereleases only match a range that names one, as semver says, or a tag.
 */
import semver from "semver";
import type { PackageSpec } from "./package-spec.js";
import type { Packument, PackumentVersion } from "./packument.js";
import { RegistryError } from "./registry-error.js";

/** Options of {@link pickVersion}. */
export interface PickOptions {
  /** This core's version: versions whose manifest's `shimmy` range excludes it are picked last. */
  coreVersion?: string;
  /** Let a range match prereleases too (semver's `includePrerelease`). @default false */
  includePrerelease?: boolean;
  /** The tag a bare name means. @default "latest" */
  defaultTag?: string;
}

/** What {@link pickVersion} chose. */
export interface PickedVersion {
  version: PackumentVersion;
  /** Its deprecation message, to be shown; a deprecated version is still installable, as with npm. */
  deprecated: string | null;
  /** False when its manifest's `shimmy` range excludes `coreVersion` (the store will refuse it). */
  supportsCore: boolean;
}

/** Whether a version's manifest declares it supports `coreVersion`; true when it says nothing. */
function supportsCore(entry: PackumentVersion, coreVersion: string | undefined): boolean {
  const range = entry.shimmyPlugin?.shimmy;
  if (coreVersion === undefined || typeof range !== "string") return true;
  return semver.validRange(range) !== null && semver.satisfies(coreVersion, range, { includePrerelease: true });
}

function picked(entry: PackumentVersion, coreVersion: string | undefined): PickedVersion {
  return { version: entry, deprecated: entry.deprecated || null, supportsCore: supportsCore(entry, coreVersion) };
}

function nothingMatches(packument: Packument, spec: PackageSpec, why: string): RegistryError {
  const versions = semver.sort(Object.keys(packument.versions).filter((v) => semver.valid(v)));
  const tags = Object.entries(packument["dist-tags"]).map(([tag, v]) => `${tag} → ${v}`);
  return new RegistryError(
    "no_matching_version",
    `no version of ${packument.name} matches "${spec.fetchSpec}": ${why}. Versions: ${versions.join(", ") || "none"}${tags.length ? `; tags: ${tags.join(", ")}` : ""}`,
  );
}

/**
 * Picks the version of `packument` that `spec` selects.
 *
 * @example
 * pickVersion(packument, parsePackageSpec("web-search@^1"), { coreVersion: "0.1.0" }).version.version // "1.4.2"
 * @throws {RegistryError} `no_matching_version` (npm's ETARGET), listing the versions and tags there are.
 */
export function pickVersion(packument: Packument, spec: PackageSpec, options: PickOptions = {}): PickedVersion {
  const { coreVersion, includePrerelease = false } = options;
  const defaultTag = options.defaultTag ?? "latest";
  if (spec.type === "tag") {
    const tagged = packument["dist-tags"][spec.fetchSpec];
    if (tagged === undefined) throw nothingMatches(packument, spec, `there is no dist-tag "${spec.fetchSpec}"`);
    const entry = packument.versions[tagged];
    if (!entry) throw nothingMatches(packument, spec, `the tag points at ${tagged}, which the registry does not list`);
    return picked(entry, coreVersion);
  }
  if (spec.type === "version") {
    const entry = packument.versions[spec.fetchSpec];
    if (!entry) throw nothingMatches(packument, spec, "that version was never published");
    return picked(entry, coreVersion);
  }

  const range = spec.fetchSpec;
  const satisfies = (v: string) => semver.valid(v) !== null && semver.satisfies(v, range, { includePrerelease, loose: true });
  const latest = packument["dist-tags"][defaultTag];
  const latestEntry = latest === undefined ? undefined : packument.versions[latest];
  if (latestEntry && satisfies(latestEntry.version) && !latestEntry.deprecated && supportsCore(latestEntry, coreVersion)) {
    return picked(latestEntry, coreVersion);
  }
  const candidates = Object.values(packument.versions).filter((entry) => satisfies(entry.version));
  if (candidates.length === 0) throw nothingMatches(packument, spec, "no published version satisfies it");
  // npm-pick-manifest's order: usable (not deprecated and engine ok), then engine ok, then not deprecated, then highest.
  const rank = (entry: PackumentVersion) => {
    const ok = supportsCore(entry, coreVersion);
    const live = !entry.deprecated;
    return [ok && live ? 1 : 0, ok ? 1 : 0, live ? 1 : 0] as const;
  };
  candidates.sort((a, b) => {
    const [ra, rb] = [rank(a), rank(b)];
    return rb[0] - ra[0] || rb[1] - ra[1] || rb[2] - ra[2] || semver.rcompare(a.version, b.version);
  });
  return picked(candidates[0] as PackumentVersion, coreVersion);
}
