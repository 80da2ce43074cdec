/**
 * file-read: read, list and grep text files under the one folder the user configured
 * (`permissions.fs.read: ["{config.folder}"]`). Every path a model gives is relative to that
 * folder; the plugin refuses absolute paths and `..`, and the host refuses anything whose real
 * path (symlinks followed) leaves the folder.
 *
 * Every tool is bounded (lines, entries, matches, bytes scanned, folder depth) and says
 * `truncated: true` when it stopped early, so a call on a huge folder or file ends in time.
 */
import { fail, hostError, hostErrorCode, inputJson, JsonValue, listFolder, ok, truncateChars } from "@shimmy/plugin-sdk/assembly";
import { child, configuredFolder, resolvePath, Target } from "./paths";
import { LineReader } from "./text-reader";

/** read_file: lines returned by default. */
const DEFAULT_MAX_LINES: i64 = 2000;
/** read_file: most text returned, in UTF-8 bytes (the output cap is 2 MiB, escaping included). */
const MAX_TEXT_BYTES: i32 = 524288;
/** read_file: bytes read to count a file's lines; past it `total` is null. */
const MAX_SCAN_BYTES: i64 = 33554432;
/** list_files and grep: how deep a recursive walk goes below the starting folder. */
const MAX_DEPTH: i32 = 20;
/** grep: bytes read across all files in one call. */
const MAX_GREP_BYTES: i64 = 67108864;
/** grep: files read in one call. */
const MAX_GREP_FILES: i32 = 5000;
/** grep: characters of a matching line returned. */
const MAX_MATCH_CHARS: i32 = 500;
/** grep skips these folders, as ripgrep does: they hold a version control system's internals. */
const SKIPPED_FOLDERS: string[] = [".git", ".hg", ".svn"];

/** The call's input object (the host has checked it against the inputSchema). */
function input(): JsonValue {
  const value = inputJson().value;
  return value !== null && value.isObject() ? value : JsonValue.makeObject();
}

function stringArg(args: JsonValue, key: string, fallback: string): string {
  const v = args.getString(key);
  return v !== null ? v : fallback;
}

/** Resolves input member `key` (default `.`) under the configured folder. */
function target(args: JsonValue, key: string): Target {
  const folder = configuredFolder();
  if (folder.error !== null) return folder;
  return resolvePath(folder, stringArg(args, key, "."), key);
}

/** A host refusal, worded for the model; `not_found` names the relative path. */
function hostFailure(t: Target, message: string, code: string, what: string): string {
  if (code == "not_found") return "no such " + what + ": " + t.shown;
  return t.shown + ": " + message;
}

/** A folder's entries `[{name, type, size}]`, or null with `error` set. */
class Listing {
  entries: JsonValue | null = null;
  error: string = "";
  code: string = "";
}

function list(t: Target): Listing {
  const reply = listFolder(t.abs);
  const out = new Listing();
  const message = hostError(reply);
  if (message !== null) {
    out.error = message;
    out.code = hostErrorCode(reply);
    return out;
  }
  const entries = reply.getArray("entries");
  if (entries === null) {
    out.error = "the host answered a listing without entries";
    return out;
  }
  out.entries = entries;
  return out;
}

/** One folder being walked: its entries and the next one to visit. */
class Frame {
  folder: Target;
  entries: JsonValue;
  index: i32 = 0;
  depth: i32;

  constructor(folder: Target, entries: JsonValue, depth: i32) {
    this.folder = folder;
    this.entries = entries;
    this.depth = depth;
  }
}

/** Tool `read_file`: lines `start_line` … of a text file, with the file's line count. */
export function read_file(): i32 {
  const args = input();
  const t = target(args, "path");
  if (t.error !== null) return fail(<string>t.error);
  if (t.rel.length == 0) return fail('"path" must name a file under the folder, not the folder itself');
  // Held to bounds here too: the host checks the inputSchema's, but the budgets must not depend on that.
  const start = args.getIntegerClamped("start_line", 1, 1, 1000000000000);
  const maxLines = args.getIntegerClamped("max_lines", DEFAULT_MAX_LINES, 1, 10000);

  const reader = new LineReader(t.abs, MAX_SCAN_BYTES);
  const lines = new Array<string>();
  let bytes = 0;
  let full = false;
  let truncated = false;
  let n: i64 = 0;
  while (true) {
    const line = reader.nextLine();
    if (line === null) break;
    n++;
    if (n < start) continue;
    if (full || <i64>lines.length >= maxLines) {
      truncated = true;
      continue; // read on: the total is still counted
    }
    const size = String.UTF8.byteLength(line) + 1;
    if (bytes + size > MAX_TEXT_BYTES && lines.length > 0) {
      full = true;
      truncated = true;
      continue;
    }
    lines.push(line);
    bytes += size;
  }
  if (reader.error !== null) return fail(hostFailure(t, <string>reader.error, reader.errorCode, "file"));
  if (reader.notText) return fail(t.shown + " is not a text file (it is not UTF-8, or it holds NUL bytes)");
  if (reader.done && start > 1 && start > n) {
    return fail('"start_line" is ' + start.toString() + ", but " + t.shown + " has " + n.toString() + (n == 1 ? " line" : " lines"));
  }
  if (reader.stopped && start > n) {
    return fail('"start_line" is ' + start.toString() + ", past the first " + n.toString() + " lines, which is as far as one call reads");
  }

  const span = JsonValue.makeObject()
    .setInteger("start", start)
    .setInteger("end", start + <i64>lines.length - 1)
    .set("total", reader.done ? JsonValue.makeInteger(n) : JsonValue.makeNull());
  return ok(
    JsonValue.makeObject()
      .setString("path", t.shown)
      .setString("text", lines.join("\n"))
      .set("lines", span)
      .setBool("truncated", truncated || reader.stopped || reader.lineCut),
  );
}

/** Tool `list_files`: a folder's entries, optionally recursive, depth first in name order. */
export function list_files(): i32 {
  const args = input();
  const t = target(args, "path");
  if (t.error !== null) return fail(<string>t.error);
  const recursive = args.getBool("recursive", false);
  const maxEntries = <i32>args.getIntegerClamped("max_entries", 500, 1, 5000);

  const top = list(t);
  if (top.entries === null) return fail(hostFailure(t, top.error, top.code, "folder"));
  const out = JsonValue.makeArray();
  let truncated = false;
  const stack = new Array<Frame>();
  stack.push(new Frame(t, <JsonValue>top.entries, 1));
  while (stack.length > 0 && !truncated) {
    const frame = stack[stack.length - 1];
    if (frame.index >= frame.entries.length) {
      stack.pop();
      continue;
    }
    const entry = <JsonValue>frame.entries.at(frame.index++);
    if (out.length >= maxEntries) {
      truncated = true;
      break;
    }
    const name = stringArg(entry, "name", "");
    const type = stringArg(entry, "type", "other");
    const path = child(frame.folder, name);
    const size = entry.get("size");
    out.push(
      JsonValue.makeObject()
        .setString("path", path.rel)
        .setString("type", type)
        .set("size", size !== null && size.isNumber() ? size : JsonValue.makeInteger(0)),
    );
    // Symlinks are listed, never followed: their targets may lie anywhere.
    if (!recursive || type != "directory") continue;
    if (frame.depth >= MAX_DEPTH) {
      truncated = true;
      continue;
    }
    const sub = list(path);
    if (sub.entries === null) {
      truncated = true; // unreadable (or over the host's entry cap): the listing is incomplete
      continue;
    }
    stack.push(new Frame(path, <JsonValue>sub.entries, frame.depth + 1));
  }
  return ok(JsonValue.makeObject().setString("path", t.shown).set("entries", out).setBool("truncated", truncated));
}

/** grep's running state across the files of one call. */
class Search {
  pattern: string;
  ignoreCase: bool;
  maxMatches: i32;
  matches: JsonValue = JsonValue.makeArray();
  filesSearched: i32 = 0;
  filesRead: i32 = 0;
  bytesRead: i64 = 0;
  truncated: bool = false;

  constructor(pattern: string, ignoreCase: bool, maxMatches: i32) {
    this.pattern = ignoreCase ? pattern.toLowerCase() : pattern;
    this.ignoreCase = ignoreCase;
    this.maxMatches = maxMatches;
  }

  /**
   * Searches one file; files that are not text, or cannot be read, are skipped. Returns the reader
   * (null when a budget ran out first), for its error.
   */
  file(t: Target): LineReader | null {
    if (this.filesRead >= MAX_GREP_FILES || this.bytesRead >= MAX_GREP_BYTES) {
      this.truncated = true;
      return null;
    }
    this.filesRead++;
    const reader = new LineReader(t.abs, MAX_GREP_BYTES - this.bytesRead);
    // Held back until the file proved to be text to its end.
    const found = new Array<JsonValue>();
    let n: i64 = 0;
    while (true) {
      const line = reader.nextLine();
      if (line === null) break;
      n++;
      const haystack = this.ignoreCase ? line.toLowerCase() : line;
      if (haystack.indexOf(this.pattern) < 0) continue;
      if (this.matches.length + found.length >= this.maxMatches) {
        this.truncated = true;
        break;
      }
      found.push(JsonValue.makeObject().setString("path", t.rel).setInteger("line", n).setString("text", truncateChars(line, MAX_MATCH_CHARS)));
    }
    this.bytesRead += reader.offset;
    if (reader.stopped) this.truncated = true;
    if (reader.notText || reader.error !== null) return reader;
    this.filesSearched++;
    for (let i = 0; i < found.length; i++) this.matches.push(found[i]);
    return reader;
  }

  /** Searches a folder's files depth first, in name order, skipping symlinks. */
  folder(root: Target, entries: JsonValue): void {
    const stack = new Array<Frame>();
    stack.push(new Frame(root, entries, 1));
    while (stack.length > 0 && !this.truncated) {
      const frame = stack[stack.length - 1];
      if (frame.index >= frame.entries.length) {
        stack.pop();
        continue;
      }
      const entry = <JsonValue>frame.entries.at(frame.index++);
      const name = stringArg(entry, "name", "");
      const type = stringArg(entry, "type", "other");
      const path = child(frame.folder, name);
      if (type == "file") {
        this.file(path);
      } else if (type == "directory" && !SKIPPED_FOLDERS.includes(name)) {
        if (frame.depth >= MAX_DEPTH) continue;
        const sub = list(path);
        if (sub.entries !== null) stack.push(new Frame(path, <JsonValue>sub.entries, frame.depth + 1));
      }
    }
  }
}

/** Tool `grep`: lines containing a plain-text pattern, in one file or every text file of a folder. */
export function grep(): i32 {
  const args = input();
  const t = target(args, "path");
  if (t.error !== null) return fail(<string>t.error);
  const pattern = stringArg(args, "pattern", "");
  if (pattern.length == 0) return fail('"pattern" must not be empty');
  const search = new Search(pattern, args.getBool("ignore_case", false), <i32>args.getIntegerClamped("max_matches", 100, 1, 1000));

  const listing = list(t);
  if (listing.entries !== null) {
    search.folder(t, <JsonValue>listing.entries);
  } else if (listing.code != "not_found") {
    return fail(hostFailure(t, listing.error, listing.code, "folder"));
  } else {
    // Not a folder: a file, or nothing.
    const reader = search.file(t);
    if (reader !== null && reader.error !== null) return fail(hostFailure(t, <string>reader.error, reader.errorCode, "file or folder"));
  }
  return ok(
    JsonValue.makeObject()
      .set("matches", search.matches)
      .setInteger("files_searched", search.filesSearched)
      .setBool("truncated", search.truncated),
  );
}
