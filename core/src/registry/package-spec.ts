/**
 * `NAME[@RANGE|@TAG]`, what `shimmy plugin add` takes, parsed as npm-package-arg parses a registry
 * spec: the last `@` after the name splits it; what follows is a version, a semver range or a
 * dist-tag. Pure.
 */
import semver from "semver";
import { RegistryError } from "./registry-error.js";

/** npm's package-name rule, as the manifest schema states it: lowercase, URL-safe, optionally `@owner/`. */
const NAME = /^(?:@[a-z0-9~-][a-z0-9._~-]*\/)?[a-z0-9~-][a-z0-9._~-]*$/;
/** A dist-tag: what npm accepts as one (never something it would read as a range). */
const TAG = /^[A-Za-z][A-Za-z0-9._-]{0,63}$/;

/** A parsed spec. */
export interface PackageSpec {
  name: string;
  /** `@owner` of a scoped name, else null. */
  scope: string | null;
  /** What followed the name, `latest` when nothing did. */
  fetchSpec: string;
  /** How {@link fetchSpec} reads: an exact version, a range, or a dist-tag. */
  type: "version" | "range" | "tag";
  /** The spec as given. */
  raw: string;
}

/** Whether `name` is a valid npm package name. */
export function isPackageName(name: string): boolean {
  return name.length <= 214 && NAME.test(name);
}

/**
 * Parses `NAME[@RANGE|@TAG]`.
 *
 * @example
 * parsePackageSpec("web-search@^1.2") // { name: "web-search", fetchSpec: "^1.2", type: "range", … }
 * parsePackageSpec("@me/tool@beta")   // { name: "@me/tool", fetchSpec: "beta", type: "tag", … }
 * @throws {RegistryError} `invalid_spec` naming what is wrong.
 */
export function parsePackageSpec(raw: string): PackageSpec {
  const at = raw.indexOf("@", 1);
  const name = at === -1 ? raw : raw.slice(0, at);
  const rest = at === -1 ? "" : raw.slice(at + 1).trim();
  if (!isPackageName(name)) {
    throw new RegistryError("invalid_spec", `"${raw}" is not a plugin name: npm's rules apply (lowercase letters, digits, '-', '.', '_', '~', optionally @owner/name), then @RANGE or @TAG`);
  }
  const scope = name.startsWith("@") ? name.slice(0, name.indexOf("/")) : null;
  if (rest === "") return { name, scope, fetchSpec: "latest", type: "tag", raw };
  if (semver.valid(rest, { loose: true })) return { name, scope, fetchSpec: semver.clean(rest, { loose: true }) ?? rest, type: "version", raw };
  if (semver.validRange(rest, { loose: true }) !== null) return { name, scope, fetchSpec: rest, type: "range", raw };
  if (TAG.test(rest)) return { name, scope, fetchSpec: rest, type: "tag", raw };
  throw new RegistryError("invalid_spec", `"${rest}" in "${raw}" is neither a version, a semver range (^1.2, ~1.2.3, >=1 <2) nor a dist-tag (latest, beta)`);
}

/**
 * The range to record for later updates, as `npm install` saves one: a range as given; an exact
 * version or a tag becomes `^VERSION` of what was installed (npm's save-prefix).
 */
export function savedRange(spec: PackageSpec, installedVersion: string): string {
  return spec.type === "range" ? spec.fetchSpec : `^${installedVersion}`;
}
