/**
 * Package names: npm's rules, the URL forms a name takes, tarball file names, and the rules that
 * keep a new name from passing for someone else's (reserved first-party names, near misses).
 */

/** The first-party plugins' names: only a first-party owner may publish them. */
export const RESERVED_NAMES: readonly string[] = ["calculator", "time", "web-search", "http-get", "file-read", "openai-embeddings", "rules-router", "classify-router"];

// validate-npm-package-name's rule for new packages: lowercase, URL-safe, not starting with . or _.
const NAME = /^(?:@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/;

/** Whether `name` is a valid npm package name (optionally `@scope/name`), at most 214 characters. */
export function isValidName(name: string): boolean {
  return name.length <= 214 && NAME.test(name);
}

/** The scope of `@scope/name` without the `@`, or null for an unscoped name. */
export function scopeOf(name: string): string | null {
  return name.startsWith("@") ? name.slice(1, name.indexOf("/")) : null;
}

/** `name` without its scope. */
export function bareName(name: string): string {
  return name.startsWith("@") ? name.slice(name.indexOf("/") + 1) : name;
}

/** npm's tarball file name: `bare-VERSION.tgz` (the scope is a folder in the URL, not in the file name). */
export function tarballFile(name: string, version: string): string {
  return `${bareName(name)}-${version}.tgz`;
}

/** The path of a tarball on this registry, as `dist.tarball` gives it (scope slash kept, as npmjs.org does). */
export function tarballPath(name: string, version: string): string {
  return `/${name}/-/${tarballFile(name, version)}`;
}

/** What a package URL asks for: the packument of `name`, or one of its tarballs by file name. */
export type PackagePath = { name: string; file?: string };

/**
 * Splits `NAME/rest/...` (no leading slash) into a valid package name, scoped ones taking two
 * segments, and the segments after it; null when the name is not valid.
 *
 * @example
 * splitNamePath("@me/tool/-/tool-1.0.0.tgz"); // { name: "@me/tool", tail: ["-", "tool-1.0.0.tgz"] }
 */
export function splitNamePath(path: string): { name: string; tail: string[] } | null {
  const parts = path.split("/");
  const nameParts = parts[0]?.startsWith("@") ? 2 : 1;
  const name = parts.slice(0, nameParts).join("/");
  return isValidName(name) ? { name, tail: parts.slice(nameParts) } : null;
}

/**
 * Parses a request path into a package name and, for a tarball, its file name. Accepts `/name`,
 * `/@scope/name`, `/@scope%2fname` (npm escapes the slash) and each followed by `/-/FILE.tgz`.
 * Returns null for anything else.
 */
export function parsePackagePath(pathname: string): PackagePath | null {
  let rest: string;
  try {
    rest = decodeURIComponent(pathname.slice(1));
  } catch {
    return null;
  }
  const split = splitNamePath(rest);
  if (!split) return null;
  const { name, tail } = split;
  if (tail.length === 0) return { name };
  if (tail.length === 2 && tail[0] === "-" && tail[1]!.endsWith(".tgz")) return { name, file: tail[1]! };
  return null;
}

/** The version a tarball file name of `name` asks for, or null when it is not `bare-VERSION.tgz`. */
export function versionOfTarball(name: string, file: string): string | null {
  const prefix = `${bareName(name)}-`;
  if (!file.startsWith(prefix) || !file.endsWith(".tgz")) return null;
  const version = file.slice(prefix.length, -".tgz".length);
  return version === "" ? null : version;
}

/** Levenshtein distance between `a` and `b`, stopping early once it passes `limit`. */
export function editDistance(a: string, b: string, limit = Infinity): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      best = Math.min(best, current[j]!);
    }
    if (best > limit) return limit + 1;
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * Whether `candidate` could pass for `existing`: within one edit of it, scope ignored,
 * case-insensitive. `@evil/calculator` and `calculater` both pass for `calculator`.
 */
export function tooSimilar(candidate: string, existing: string): boolean {
  return editDistance(bareName(candidate).toLowerCase(), bareName(existing).toLowerCase(), 1) <= 1;
}
