/**
 * The main thread's side of the Shimmy host functions a plugin imports from `extism:host/user`
 * (ARCHITECTURE.md, "Plugin ABI"), and of Extism's own `http_request`. The plugin's worker
 * (plugin-worker.ts) reads the request block and blocks while these run the checked I/O
 * (checkedFetch, fs-grants) here; the answer's bytes go back over the bridge (worker-instance.ts)
 * and become a new block there, under the worker's allocation cap. JSON in, JSON out: a failure is
 * answered as `{"error": {code, message}}`, never thrown, so a refusal never ends the call. The one
 * exception: once the instance was killed (timeout, abort, host closed), pending work is abandoned
 * and the function rejects with the reason, since nobody waits for the answer any more.
 */
import { checkedFetch, raceAbort, type CheckedFetchOptions, type CheckedRequest } from "./checked-fetch.js";
import { checkPath, listFolder, readCapped, writeCapped, type FsGrants } from "./fs-grants.js";
import { pluginIo } from "./io-watch.js";
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
  /** `permissions.models`: the models `shimmy_chat` may generate with. @default none */
  models?: readonly string[];
  /** Generates for `shimmy_chat` (the server's engine); absent, the function answers `not_found`. */
  chat?: HostChat;
}

/** A `shimmy_chat` request, checked: a model, messages, a token cap, and optionally labels the answer must be one of. */
export interface HostChatRequest {
  model: string;
  messages: { role: "system" | "user" | "assistant"; content: string }[];
  maxTokens: number;
  /** The answer is exactly one of these (forced with a grammar). */
  labels?: string[];
}

/** Generates a `shimmy_chat` answer; `signal` aborts it when the plugin's call ends. */
export type HostChat = (request: HostChatRequest, signal: AbortSignal) => Promise<{ text: string }>;

/** The most tokens a `shimmy_chat` answer may have. */
export const MAX_CHAT_TOKENS = 4096;

function chatRequest(request: Record<string, unknown>, models: readonly string[]): HostChatRequest {
  const model = field<string>(request, "model", "string", false) as string;
  if (!models.includes(model)) throw new PluginCallError("permission_denied", `shimmy_chat: "${model}" is not in the plugin's permissions.models (${models.join(", ") || "none"})`);
  const messages = request.messages;
  if (!Array.isArray(messages) || messages.length === 0) throw new PluginCallError("invalid_request", `"messages" must be a list of {role, content}`);
  const checked = messages.map((m: unknown) => {
    const { role, content } = (m ?? {}) as { role?: unknown; content?: unknown };
    if ((role !== "system" && role !== "user" && role !== "assistant") || typeof content !== "string") {
      throw new PluginCallError("invalid_request", `each message must be {role: system|user|assistant, content: string}`);
    }
    return { role: role as HostChatRequest["messages"][number]["role"], content };
  });
  const maxTokens = field<number>(request, "max_tokens", "number", true) ?? 256;
  if (!Number.isInteger(maxTokens) || maxTokens < 1 || maxTokens > MAX_CHAT_TOKENS) throw new PluginCallError("invalid_request", `"max_tokens" must be a whole number from 1 to ${MAX_CHAT_TOKENS}`);
  const labels = request.labels;
  if (labels !== undefined && (!Array.isArray(labels) || labels.length === 0 || labels.some((l) => typeof l !== "string" || l === ""))) {
    throw new PluginCallError("invalid_request", `"labels" must be a list of non-empty strings`);
  }
  return { model, messages: checked, maxTokens, ...(labels === undefined ? {} : { labels: labels as string[] }) };
}

/** A folder listing longer than this is refused, as a read over the byte cap is. */
export const MAX_LIST_ENTRIES = 10_000;

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** The cap on a request or answer JSON: the byte cap, doubled for JSON escaping, plus the envelope. */
export function jsonCap(maxResponseBytes: number): number {
  return maxResponseBytes * 2 + 64 * 1024;
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

function handlers(grants: HostFunctionGrants, alive: AbortSignal): Record<ShimmyFunctionName, Handler> {
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
    async shimmy_chat(request) {
      const checked = chatRequest(request, grants.models ?? []);
      if (!grants.chat) throw new PluginCallError("not_found", "shimmy_chat: this host serves no models to plugins");
      return grants.chat(checked, alive);
    },
  };
}

const encoder = new TextEncoder();

/**
 * Runs one Shimmy host function: the request block's bytes in, the answer's JSON bytes out, at most
 * {@link jsonCap} of them. `alive` is aborted when the instance is killed: pending work is abandoned
 * and the promise rejects with its reason (see the module comment); any other failure is answered.
 */
export async function answerHostFunction(name: ShimmyFunctionName, requestBytes: Uint8Array, grants: HostFunctionGrants, alive: AbortSignal): Promise<Uint8Array> {
  const cap = jsonCap(grants.maxResponseBytes);
  let answer: unknown;
  try {
    const handler = handlers(grants, alive)[name];
    if (!handler) throw new PluginCallError("invalid_request", `${name}: no such host function`);
    if (requestBytes.length > cap) throw new PluginCallError("payload_too_large", `${name}: the request is ${requestBytes.length} bytes; the cap is ${cap}`);
    let request: unknown;
    try {
      request = JSON.parse(utf8.decode(requestBytes));
    } catch {
      throw new PluginCallError("invalid_request", `${name}: the request is not JSON`);
    }
    if (typeof request !== "object" || request === null || Array.isArray(request)) {
      throw new PluginCallError("invalid_request", `${name}: the request must be a JSON object`);
    }
    let work = handler(request as Record<string, unknown>);
    // File work runs on the thread pool inference shares: watched, so /health shows it stuck.
    if (name.startsWith("shimmy_fs_")) work = pluginIo.watch(`${name} ${String((request as { path?: unknown }).path).slice(0, 200)}`, work);
    answer = await raceAbort(work, alive);
  } catch (error) {
    if (alive.aborted) throw alive.reason;
    answer = asError(error).toJSON();
  }
  if (alive.aborted) throw alive.reason;
  let bytes = encoder.encode(JSON.stringify(answer));
  if (bytes.length > cap) {
    bytes = encoder.encode(JSON.stringify(new PluginCallError("response_too_large", `${name}: the answer is over the cap of ${cap} bytes`).toJSON()));
  }
  return bytes;
}

const STATUS: Partial<Record<PluginCallError["code"], number>> = {
  permission_denied: 403,
  invalid_request: 400,
  response_too_large: 502,
  timeout: 504,
};
const NULL_BODY = new Set([101, 204, 205, 304]);

/**
 * Extism's own `http_request` (its request JSON is `{url, method, headers}`; the SDK also reads
 * `header`), sent through {@link checkedFetch}. A refusal becomes a response (403, 400, 502 or 504
 * with the `{"error"}` JSON as its body) instead of an error, which would end the call. Rejects only
 * when `alive` is aborted.
 */
export async function answerExtismHttp(
  requestBytes: Uint8Array,
  body: Uint8Array | null,
  grants: HostFunctionGrants,
  alive: AbortSignal,
): Promise<{ status: number; body: Uint8Array }> {
  const options: CheckedFetchOptions = { grants: grants.net, serverAddresses: grants.serverAddresses, maxResponseBytes: grants.maxResponseBytes, timeoutMs: grants.timeoutMs };
  try {
    let request: Record<string, unknown>;
    try {
      request = JSON.parse(utf8.decode(requestBytes)) as Record<string, unknown>;
    } catch {
      throw new PluginCallError("invalid_request", "http_request: the request is not JSON");
    }
    if (typeof request !== "object" || request === null || Array.isArray(request)) throw new PluginCallError("invalid_request", "http_request: the request must be a JSON object");
    const method = typeof request.method === "string" ? request.method : "GET";
    const rawHeaders = (request.headers ?? request.header) as unknown;
    const headers =
      typeof rawHeaders === "object" && rawHeaders !== null ? Object.fromEntries(Object.entries(rawHeaders).map(([k, v]) => [k, String(v)])) : undefined;
    const upper = method.toUpperCase();
    const sent = body === null || upper === "GET" || upper === "HEAD" ? undefined : body;
    const response = await raceAbort(checkedFetch({ method, url: String(request.url), headers, body: sent }, options), alive);
    return { status: response.status, body: NULL_BODY.has(response.status) ? new Uint8Array(0) : response.body };
  } catch (error) {
    if (alive.aborted) throw alive.reason;
    const failure = asError(error);
    return { status: STATUS[failure.code] ?? 502, body: encoder.encode(JSON.stringify(failure.toJSON())) };
  }
}
