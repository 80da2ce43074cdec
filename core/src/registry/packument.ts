/**
 * npm's packument (`GET /NAME`) as the client reads it: the few fields it needs, checked once on
 * arrival so everything after works on a known shape. Pure.
 */
import { RegistryError } from "./registry-error.js";

/** One signature of `dist.signatures`: npm's registry-signature scheme. */
export interface DistSignature {
  keyid: string;
  sig: string;
}

/** One version of a packument. */
export interface PackumentVersion {
  name: string;
  version: string;
  description?: string;
  /** The version's deprecation message, when it is deprecated. */
  deprecated?: string;
  /** The plugin's `shimmy-plugin.json`, as a Shimmy registry adds it; absent on other npm registries. */
  shimmyPlugin?: Record<string, unknown>;
  /** `package.json`'s `shimmy` field, which the SDK's pack writes. */
  shimmy?: unknown;
  dist: { tarball: string; integrity?: string; shasum?: string; signatures?: DistSignature[]; unpackedSize?: number };
}

/** A packument: every version of one name. */
export interface Packument {
  name: string;
  description?: string;
  "dist-tags": Record<string, string>;
  versions: Record<string, PackumentVersion>;
  /** Publish times by version (and `created`, `modified`). */
  time?: Record<string, string>;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * Checks that `data`, the answer for `name`, is a packument of that name: a registry answering for
 * another name, or with versions that name another package, is refused.
 *
 * @throws {RegistryError} `bad_response` saying what is missing.
 */
export function readPackument(data: unknown, name: string, registry: string): Packument {
  const bad = (what: string) => new RegistryError("bad_response", `${registry} sent a packument for "${name}" that ${what}`);
  if (!isObject(data)) throw bad("is not a JSON object");
  if (data.name !== name) throw bad(`names "${String(data.name)}"`);
  if (!isObject(data.versions)) throw bad("has no versions");
  const tags = isObject(data["dist-tags"]) ? data["dist-tags"] : {};
  const versions: Record<string, PackumentVersion> = {};
  for (const [version, entry] of Object.entries(data.versions)) {
    if (!isObject(entry) || !isObject(entry.dist) || typeof entry.dist.tarball !== "string") throw bad(`has no dist.tarball for ${version}`);
    if (entry.version !== version || (entry.name !== undefined && entry.name !== name)) throw bad(`lists ${String(entry.name)}@${String(entry.version)} under ${version}`);
    versions[version] = { ...(entry as unknown as PackumentVersion), name };
  }
  return {
    name,
    ...(typeof data.description === "string" ? { description: data.description } : {}),
    "dist-tags": Object.fromEntries(Object.entries(tags).filter((e): e is [string, string] => typeof e[1] === "string")),
    versions,
    ...(isObject(data.time) ? { time: data.time as Record<string, string> } : {}),
  };
}
