/**
 * Paths for file-read: the configured folder, and the relative paths a model gives, joined onto
 * it. Absolute paths and `..` are refused here with a message the model can act on; the host
 * checks every path again against the granted folder (symlinks resolved), so this is the friendly
 * check, not the only one.
 */
import { config } from "@shimmy/plugin-sdk/assembly";

/** How to fix a missing or unusable folder setting. */
export const CONFIG_HINT = "set it with: shimmy plugin config file-read folder=/path/to/folder";

/** A path under the folder: relative (`""` for the folder itself) and as the host takes it. */
export class Target {
  rel: string = "";
  abs: string = "";
  /** Why the path was refused; null when it is usable. */
  error: string | null = null;

  /** The relative path as shown to the model: `.` for the folder itself. */
  get shown(): string {
    return this.rel.length > 0 ? this.rel : ".";
  }
}

function refused(message: string): Target {
  const t = new Target();
  t.error = message;
  return t;
}

function isSeparator(c: i32): bool {
  return c == 0x2f || c == 0x5c;
}

/** `/x`, `\x`, `~`, `~/x`, `C:\x` or `C:/x`. */
function isAbsolute(p: string): bool {
  if (p.length == 0) return false;
  const c = p.charCodeAt(0);
  if (isSeparator(c)) return true;
  if (c == 0x7e && (p.length == 1 || isSeparator(p.charCodeAt(1)))) return true;
  const letter = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
  return letter && p.length >= 2 && p.charCodeAt(1) == 0x3a;
}

/** Splits on `/` and `\`, dropping empty and `.` segments. */
function segments(p: string): Array<string> {
  const out = new Array<string>();
  let start = 0;
  for (let i = 0; i <= p.length; i++) {
    if (i == p.length || isSeparator(p.charCodeAt(i))) {
      const s = p.substring(start, i);
      if (s.length > 0 && s != ".") out.push(s);
      start = i + 1;
    }
  }
  return out;
}

/**
 * The folder from the plugin's config (`abs`), without trailing separators; an error naming the
 * fix when it is unset or not absolute.
 */
export function configuredFolder(): Target {
  const value = config("folder");
  const folder = value !== null ? value.trim() : "";
  if (folder.length == 0) return refused("no folder is configured; " + CONFIG_HINT);
  if (!isAbsolute(folder)) return refused('the configured folder must be an absolute path, not "' + folder + '"; ' + CONFIG_HINT);
  let end = folder.length;
  while (end > 1 && isSeparator(folder.charCodeAt(end - 1)) && folder.charCodeAt(end - 2) != 0x3a) end--;
  const t = new Target();
  t.abs = folder.substring(0, end);
  return t;
}

/**
 * Joins `path` (relative to the folder; `.` or empty for the folder itself) onto `folder`. `field`
 * names the input member in error messages.
 */
export function resolvePath(folder: Target, path: string, field: string): Target {
  if (path.indexOf("\0") >= 0) return refused('"' + field + '" may not contain NUL characters');
  if (isAbsolute(path)) return refused('"' + field + '" must be relative to the configured folder, not absolute: ' + path);
  const parts = segments(path);
  if (parts.includes("..")) return refused('"' + field + '" may not contain "..": ' + path);
  const t = new Target();
  t.rel = parts.join("/");
  t.abs = childPath(folder.abs, t.rel);
  return t;
}

/** `base` joined with `name` by `/` (`base` alone when `name` is empty). */
export function childPath(base: string, name: string): string {
  if (name.length == 0) return base;
  if (base.length == 0) return name;
  return isSeparator(base.charCodeAt(base.length - 1)) ? base + name : base + "/" + name;
}

/** The target for entry `name` of the folder `parent`. */
export function child(parent: Target, name: string): Target {
  const t = new Target();
  t.rel = parent.rel.length > 0 ? parent.rel + "/" + name : name;
  t.abs = childPath(parent.abs, name);
  return t;
}
