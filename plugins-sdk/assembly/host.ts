/**
 * The one file that touches the raw plugin ABI: Extism's `extism:host/env` kernel (through
 * `@extism/as-pdk`) and Shimmy's `extism:host/user` functions. Everything here is UTF-8 correct
 * (as-pdk's `outputString` is not, so it is never used).
 *
 * A Shimmy host function takes the offset of an Extism memory block holding JSON and returns the
 * offset of a block holding the JSON reply; a failure is a reply `{"error": {...}}`, not a trap.
 * Only the functions a plugin calls end up imported by its module (unused ones are not compiled).
 */
import { Config, Host, LogLevel, Memory } from "@extism/as-pdk";
import { alloc, error_set, length, log_error, store_u8 } from "@extism/as-pdk/lib/env";
import { JsonValue } from "./json";
import { JsonParseResult, parseJson } from "./json-parse";

// ---- Shimmy host functions --------------------------------------------------------------------

@external("extism:host/user", "shimmy_http")
declare function shimmy_http(input: u64): u64;
@external("extism:host/user", "shimmy_fs_read")
declare function shimmy_fs_read(input: u64): u64;
@external("extism:host/user", "shimmy_fs_list")
declare function shimmy_fs_list(input: u64): u64;
@external("extism:host/user", "shimmy_fs_write")
declare function shimmy_fs_write(input: u64): u64;
@external("extism:host/user", "shimmy_now")
declare function shimmy_now(input: u64): u64;
@external("extism:host/user", "shimmy_chat")
declare function shimmy_chat(input: u64): u64;

function toBlock(value: JsonValue): u64 {
  return Memory.allocateString(value.stringify()).offset;
}

/** Reads a host function's reply block; a missing or malformed reply becomes `{"error": …}`. */
function fromBlock(offset: u64): JsonValue {
  if (offset == 0) return errorValue("the host returned no reply");
  const mem = new Memory(offset, length(offset));
  const text = mem.toString();
  mem.free();
  const parsed = parseJson(text);
  const value = parsed.value;
  if (value === null) return errorValue("the host returned malformed JSON: " + parsed.error);
  return value;
}

function errorValue(message: string): JsonValue {
  return JsonValue.makeObject().set("error", JsonValue.makeObject().setString("message", message));
}

/**
 * The error message of a host reply `{"error": {"message": …}}` (or `{"error": "…"}`), or null
 * when the reply is not an error.
 */
export function hostError(reply: JsonValue): string | null {
  const error = reply.get("error");
  if (error === null || error.isNull()) return null;
  if (error.isString()) return error.str;
  const message = error.getString("message");
  return message !== null ? message : error.stringify();
}

/**
 * The `code` of a host reply `{"error": {"code": …, "message": …}}` (such as `not_found` or
 * `permission_denied`), or "" when the reply is not an error or its error has no code.
 *
 * @example if (hostErrorCode(reply) == "not_found") return fail("no such file: " + path);
 */
export function hostErrorCode(reply: JsonValue): string {
  const error = reply.getObject("error");
  if (error === null) return "";
  const code = error.getString("code");
  return code !== null ? code : "";
}

/**
 * `shimmy_http`: one request through the host's checked fetch (needs `permissions.net`).
 * `headers` is an object of strings (or null). The reply is `{status, headers, body}` (or
 * `body_base64`), or `{error}`.
 */
export function http(method: string, url: string, headers: JsonValue | null = null, body: string | null = null): JsonValue {
  const req = JsonValue.makeObject().setString("method", method).setString("url", url);
  req.set("headers", headers !== null ? headers : JsonValue.makeObject());
  if (body !== null) req.setString("body", body);
  return fromBlock(shimmy_http(toBlock(req)));
}

/** `shimmy_http` with a request object built by the caller. */
export function httpRequest(request: JsonValue): JsonValue {
  return fromBlock(shimmy_http(toBlock(request)));
}

/**
 * `shimmy_fs_read`: a file under a granted folder (needs `permissions.fs.read`); `offset` and
 * `length` are left out when negative. The reply is `{text}` or `{base64}`, or `{error}`.
 */
export function readFile(path: string, offset: i64 = -1, len: i64 = -1): JsonValue {
  const req = JsonValue.makeObject().setString("path", path);
  if (offset >= 0) req.setInteger("offset", offset);
  if (len >= 0) req.setInteger("length", len);
  return fromBlock(shimmy_fs_read(toBlock(req)));
}

/** `shimmy_fs_list`: `{entries: [{name, type, size}]}`, or `{error}`. */
export function listFolder(path: string): JsonValue {
  return fromBlock(shimmy_fs_list(toBlock(JsonValue.makeObject().setString("path", path))));
}

/** `shimmy_fs_write`: writes UTF-8 text (needs `permissions.fs.write`); `{bytes}`, or `{error}`. */
export function writeFile(path: string, text: string): JsonValue {
  return fromBlock(shimmy_fs_write(toBlock(JsonValue.makeObject().setString("path", path).setString("text", text))));
}

/** `shimmy_now`: `{unix_ms, iso}`. */
export function now(): JsonValue {
  return fromBlock(shimmy_now(toBlock(JsonValue.makeObject())));
}

/**
 * `shimmy_chat`: asks a model named in `permissions.models` for a short answer (greedy sampling).
 * `messages` is an array of `{role: "system"|"user"|"assistant", content}`; with `labels` (an array
 * of strings) a grammar forces the answer to be exactly one of them. The reply is `{text}`, or
 * `{error}`. The call counts against the plugin's own `timeoutMs`.
 *
 * @example const reply = chat("qwen2.5:0.5b", messages, 8, labels); const label = reply.getString("text");
 */
export function chat(model: string, messages: JsonValue, maxTokens: i32, labels: JsonValue | null = null): JsonValue {
  const req = JsonValue.makeObject().setString("model", model).set("messages", messages).setInteger("max_tokens", maxTokens);
  if (labels !== null) req.set("labels", labels);
  return fromBlock(shimmy_chat(toBlock(req)));
}

// ---- input and output -------------------------------------------------------------------------

/** The call's input bytes. */
export function inputBytes(): Uint8Array {
  return Host.input();
}

/** The call's input, decoded as UTF-8. */
export function inputText(): string {
  const bytes = Host.input();
  return String.UTF8.decode(bytes.buffer);
}

/** The call's input parsed as JSON (check `.value`; on malformed input `.error` says why). */
export function inputJson(): JsonParseResult {
  return parseJson(inputText());
}

/** Sets the call's output to `text`, UTF-8 encoded. */
export function outputText(text: string): void {
  Host.output(Uint8Array.wrap(String.UTF8.encode(text)));
}

/** Sets the call's output to `value` as JSON. */
export function outputJson(value: JsonValue): void {
  outputText(value.stringify());
}

/** Sets the call's error message (the host reports it as the call's error). */
export function setError(message: string): void {
  error_set(Memory.allocateString(message).offset);
}

/**
 * Ends a call successfully: writes `value` as the output and returns 0, the export's result.
 * Use as `return ok(result)`: it also frees this call's garbage (see {@link collect}).
 */
export function ok(value: JsonValue): i32 {
  outputJson(value);
  collect();
  return 0;
}

/** Ends a call with an error: sets `message` as the call's error and returns 1. Use as `return fail(…)`. */
export function fail(message: string): i32 {
  setError(message);
  collect();
  return 1;
}

/**
 * Runs a full garbage collection. Plugins are built with AssemblyScript's incremental runtime,
 * which also collects on its own while a call allocates; `ok` and `fail` call this so that an
 * instance reused for many calls goes back to its live size after each one.
 */
export function collect(): void {
  __collect();
}

// ---- config and log ---------------------------------------------------------------------------

/**
 * A config value the user set (`shimmy plugin config NAME key=value`), or null. A string setting
 * is its text; any other setting (a number, a boolean, a list) is its JSON text: read those with
 * {@link configInteger}, {@link configBool} or {@link configJson}.
 */
export function config(key: string): string | null {
  return Config.get(key);
}

/** A non-string setting parsed from its JSON text; null when unset or not JSON. */
export function configJson(key: string): JsonValue | null {
  const text = Config.get(key);
  return text !== null ? parseJson(text).value : null;
}

/**
 * An integer setting; `fallback` when unset, or not a whole number within ±2^53 − 1 (see
 * `JsonValue.isInteger`).
 *
 * @example const cap = configInteger("max_chars", 20000);
 */
export function configInteger(key: string, fallback: i64): i64 {
  const value = configJson(key);
  return value !== null ? value.asInteger(fallback) : fallback;
}

/** A boolean setting; `fallback` when unset or neither `true` nor `false`. */
export function configBool(key: string, fallback: bool): bool {
  const value = configJson(key);
  return value !== null && value.isBool() ? value.bool : fallback;
}

export function logInfo(message: string): void { Host.log(LogLevel.Info, message); }
export function logWarn(message: string): void { Host.log(LogLevel.Warn, message); }
export function logError(message: string): void { Host.log(LogLevel.Error, message); }
export function logDebug(message: string): void { Host.log(LogLevel.Debug, message); }

// ---- abort ------------------------------------------------------------------------------------

let aborting = false;

function utf8Length(s: string): i32 {
  let n = 0;
  const len = s.length;
  for (let i = 0; i < len; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < len && s.charCodeAt(i + 1) >= 0xdc00 && s.charCodeAt(i + 1) <= 0xdfff) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** Writes `s` as UTF-8 at `at` in Extism memory (lone surrogates become U+FFFD); returns the end. */
function storeUtf8(at: u64, s: string): u64 {
  const len = s.length;
  for (let i = 0; i < len; i++) {
    let c = <u32>s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) {
      if (c <= 0xdbff && i + 1 < len && s.charCodeAt(i + 1) >= 0xdc00 && s.charCodeAt(i + 1) <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (<u32>s.charCodeAt(i + 1) - 0xdc00);
        i++;
      } else {
        c = 0xfffd;
      }
    }
    if (c < 0x80) {
      store_u8(at++, <u8>c);
    } else if (c < 0x800) {
      store_u8(at++, <u8>(0xc0 | (c >> 6)));
      store_u8(at++, <u8>(0x80 | (c & 63)));
    } else if (c < 0x10000) {
      store_u8(at++, <u8>(0xe0 | (c >> 12)));
      store_u8(at++, <u8>(0x80 | ((c >> 6) & 63)));
      store_u8(at++, <u8>(0x80 | (c & 63)));
    } else {
      store_u8(at++, <u8>(0xf0 | (c >> 18)));
      store_u8(at++, <u8>(0x80 | ((c >> 12) & 63)));
      store_u8(at++, <u8>(0x80 | ((c >> 6) & 63)));
      store_u8(at++, <u8>(0x80 | (c & 63)));
    }
  }
  return at;
}

/**
 * AssemblyScript's `abort` (failed assert, out-of-bounds access, out of memory): logs
 * "abort: MESSAGE at FILE:LINE:COLUMN" at error level and sets it as the call's error, then traps. It allocates nothing on
 * the AssemblyScript heap (it may run because the heap is exhausted).
 */
export function reportAbort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  if (!aborting) {
    aborting = true;
    const prefix = "abort: ";
    const text = message !== null ? message : "(no message)";
    const at = " at ";
    const file = fileName !== null ? fileName : "?";
    // line and column as decimal, written without allocating
    const size = utf8Length(prefix) + utf8Length(text) + utf8Length(at) + utf8Length(file) + 1 + decimalLength(line) + 1 + decimalLength(column);
    const block = alloc(<u64>size);
    if (block != 0) {
      let p = storeUtf8(block, prefix);
      p = storeUtf8(p, text);
      p = storeUtf8(p, at);
      p = storeUtf8(p, file);
      store_u8(p++, 0x3a);
      p = storeDecimal(p, line);
      store_u8(p++, 0x3a);
      storeDecimal(p, column);
      // Shimmy's host reads this error although the call then traps, and reports it as the
      // call's error. Also logged, for a host whose SDK drops the error of a call that traps (the
      // Extism Node SDK alone does).
      log_error(block);
      error_set(block);
    }
  }
  unreachable();
}

function decimalLength(n: u32): i32 {
  let d = 1;
  while (n >= 10) {
    n /= 10;
    d++;
  }
  return d;
}

function storeDecimal(at: u64, n: u32): u64 {
  const d = decimalLength(n);
  let p = at + <u64>d;
  const end = p;
  do {
    p--;
    store_u8(p, <u8>(0x30 + n % 10));
    n /= 10;
  } while (n > 0);
  return end;
}

