/**
 * The Shimmy host functions a plugin imports from `extism:host/user` (ARCHITECTURE.md, "Plugin
 * ABI"), and the `fetch` handed to Extism for its own `http_request`. JSON in, JSON out: a request
 * is read from the plugin's memory block, the answer is stored as a new block and its offset
 * returned. A failure is answered as `{"error": {code, message}}`, never thrown.
 *
 * Why never thrown: in worker mode the Extism SDK runs host functions on the main thread and, when
 * one throws, terminates that instance's worker (`BackgroundPlugin.#handleInvoke` calls `close()`).
 * The one exception is on purpose: once the instance was killed (timeout, abort, host closed) the
 * function throws, because only the SDK's error path stops its writer from waiting forever for a
 * worker that no longer exists.
 */
import type { CallContext } from "@extism/extism";
import { checkedFetch, type CheckedFetchOptions, type CheckedRequest } from "./checked-fetch.js";
import { checkPath, listFolder, readCapped, writeCapped, type FsGrants } from "./fs-grants.js";
import type { ShimmyFunctionName } from "./module-check.js";
import type { NetGrant } from "./net-grants.js";
import { PluginCallError } from "./plugin-call-error.js";

/** What the host functions of one plugin may reach, and their caps. */
export interface HostFunctionGrants {
  net: readonly NetGrant[];
  fs: FsGrants;
  serverAddresses: CheckedFetchOptions["serverAddresses"];
  /** Caps a response body, a file read and a file write; the JSON answer gets room for escaping. */
  maxResponseBytes: number;
  /** Caps one HTTP request, redirects included. */
  timeoutMs: number;
}

/** A host function as Extism calls it: the call's context and the request block's offset. */
export type JsonHostFunction = (ctx: CallContext, offset: bigint) => Promise<bigint>;

/** A folder listing longer than this is refused, as a read over the byte cap is. */
export const MAX_LIST_ENTRIES = 10_000;

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** The cap on a request or answer JSON: the byte cap, doubled for JSON escaping, plus the envelope. */
export function jsonCap(maxResponseBytes: number): number {
  return maxResponseBytes * 2 + 64 * 1024;
}

/** Settles with `promise`, or rejects with the signal's reason as soon as the instance is killed. */
function whileAlive<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

function asError(error: unknown): PluginCallError {
  if (error instanceof PluginCallError) return error;
  return new PluginCallError("io_error", `host function failed: ${(error as Error)?.message ?? String(error)}`, { cause: error });
}

/** Text when the bytes are valid UTF-8, base64 otherwise: JSON cannot carry raw bytes. */
function textOrBase64(bytes: Uint8Array, textKey: string, base64Key: string): Record<string, string> {
  try {
    return { [textKey]: utf8.decode(bytes) };
  } catch {
    return { [base64Key]: Buffer.from(bytes).toString("base64") };
  }
}

function field<T>(request: Record<string, unknown>, key: string, type: "string" | "number" | "object", optional: boolean): T | undefined {
  const value = request[key];
  if (value === undefined && optional) return undefined;
  if (typeof value !== type || value === null) throw new PluginCallError("invalid_request", `"${key}" must be a ${type}`);
  return value as T;
}

function httpRequest(request: Record<string, unknown>): CheckedRequest {
  const headers = field<Record<string, unknown>>(request, "headers", "object", true);
  const bodyText = field<string>(request, "body", "string", true);
  const bodyBase64 = field<string>(request, "body_base64", "string", true);
  return {
    method: field<string>(request, "method", "string", true) ?? "GET",
    url: field<string>(request, "url", "string", false) as string,
    headers: headers ? Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, String(v)])) : undefined,
    body: bodyBase64 !== undefined ? Buffer.from(bodyBase64, "base64") : bodyText,
  };
}

type Handler = (request: Record<string, unknown>) => Promise<unknown>;

function handlers(grants: HostFunctionGrants): Record<ShimmyFunctionName, Handler> {
  const fetchOptions: CheckedFetchOptions = {
    grants: grants.net,
    serverAddresses: grants.serverAddresses,
    maxResponseBytes: grants.maxResponseBytes,
    timeoutMs: grants.timeoutMs,
  };
  return {
    async shimmy_http(request) {
      const response = await checkedFetch(httpRequest(request), fetchOptions);
      return { status: response.status, headers: response.headers, ...textOrBase64(response.body, "body", "body_base64") };
    },
    async shimmy_fs_read(request) {
      const real = await checkPath(field<string>(request, "path", "string", false) as string, grants.fs, "read");
      const bytes = await readCapped(real, {
        offset: field<number>(request, "offset", "number", true),
        length: field<number>(request, "length", "number", true),
        maxBytes: grants.maxResponseBytes,
      });
      return textOrBase64(bytes, "text", "base64");
    },
    async shimmy_fs_list(request) {
      const real = await checkPath(field<string>(request, "path", "string", false) as string, grants.fs, "read");
      return { entries: await listFolder(real, MAX_LIST_ENTRIES) };
    },
    async shimmy_fs_write(request) {
      const text = field<string>(request, "text", "string", false) as string;
      const real = await checkPath(field<string>(request, "path", "string", false) as string, grants.fs, "write");
      return { bytes: await writeCapped(real, text, grants.maxResponseBytes) };
    },
    async shimmy_now() {
      const now = new Date();
      return { unix_ms: now.getTime(), iso: now.toISOString() };
    },
  };
}

/**
 * The five Shimmy host functions for one instance. `alive` is aborted when the instance is killed:
 * pending work is abandoned at once and the function throws (see the module comment).
 */
export function shimmyHostFunctions(grants: HostFunctionGrants, alive: AbortSignal): Record<ShimmyFunctionName, JsonHostFunction> {
  const cap = jsonCap(grants.maxResponseBytes);
  const wrap = (name: ShimmyFunctionName, handler: Handler): JsonHostFunction => async (ctx, offset) => {
    let answer: unknown;
    try {
      const block = ctx.read(offset);
      if (block === null) throw new PluginCallError("invalid_request", `${name}: no memory block at offset ${offset}`);
      const size = (block as unknown as DataView).byteLength; // PluginOutput is a DataView
      if (size > cap) throw new PluginCallError("payload_too_large", `${name}: the request is ${size} bytes; the cap is ${cap}`);
      let request: unknown;
      try {
        request = JSON.parse(block.text());
      } catch {
        throw new PluginCallError("invalid_request", `${name}: the request is not JSON`);
      }
      if (typeof request !== "object" || request === null || Array.isArray(request)) {
        throw new PluginCallError("invalid_request", `${name}: the request must be a JSON object`);
      }
      answer = await whileAlive(handler(request as Record<string, unknown>), alive);
    } catch (error) {
      if (alive.aborted) throw alive.reason;
      answer = asError(error).toJSON();
    }
    if (alive.aborted) throw alive.reason;
    let text = JSON.stringify(answer);
    if (Buffer.byteLength(text) > cap) {
      text = JSON.stringify(new PluginCallError("response_too_large", `${name}: the answer is over the cap of ${cap} bytes`).toJSON());
    }
    return ctx.store(text);
  };
  const table = handlers(grants);
  return Object.fromEntries(Object.entries(table).map(([name, handler]) => [name, wrap(name as ShimmyFunctionName, handler)])) as Record<
    ShimmyFunctionName,
    JsonHostFunction
  >;
}

const STATUS: Partial<Record<PluginCallError["code"], number>> = {
  permission_denied: 403,
  invalid_request: 400,
  response_too_large: 502,
  timeout: 504,
};
const NULL_BODY = new Set([101, 204, 205, 304]);

/**
 * A `fetch` for Extism's own `http_request`, going through {@link checkedFetch}. A refusal becomes
 * a response (403, 400, 502 or 504 with the `{"error"}` JSON as its body) instead of a rejection,
 * which would make the SDK terminate the instance.
 */
export function extismFetch(grants: HostFunctionGrants, alive: AbortSignal): typeof fetch {
  const options: CheckedFetchOptions = { grants: grants.net, serverAddresses: grants.serverAddresses, maxResponseBytes: grants.maxResponseBytes, timeoutMs: grants.timeoutMs };
  return async (input, init) => {
    try {
      const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
      const headers = Object.fromEntries(new Headers(init?.headers).entries());
      const body = init?.body instanceof Uint8Array ? init.body : typeof init?.body === "string" ? init.body : undefined;
      const response = await whileAlive(checkedFetch({ method: init?.method ?? "GET", url, headers, body }, options), alive);
      return new Response(NULL_BODY.has(response.status) ? null : response.body, { status: response.status, headers: response.headers });
    } catch (error) {
      if (alive.aborted) throw alive.reason;
      const failure = asError(error);
      return new Response(JSON.stringify(failure.toJSON()), { status: STATUS[failure.code] ?? 502, headers: { "content-type": "application/json" } });
    }
  };
}
