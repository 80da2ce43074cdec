/**
 * The only way a plugin reaches the network: every hop matched against the grants, the name
 * resolved once and the connection made to that address, private addresses and Shimmy's own
 * server refused, redirects followed by hand and re-checked, response bytes and time capped.
 */
import http from "node:http";
import https from "node:https";
import { isIP } from "node:net";
import { networkInterfaces } from "node:os";
import { bareHost, canonicalAddress, describeGrant, isPrivateAddress, matchGrant, urlPort, type NetGrant } from "./net-grants.js";
import { createResolver } from "./dns-resolve.js";
import { PluginCallError } from "./plugin-call-error.js";

/** A plugin's HTTP request, as `shimmy_http` receives it. */
export interface CheckedRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
}

/** What the plugin gets back. Header values that repeat are joined with `, `. */
export interface CheckedResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** Limits and grants for {@link checkedFetch}. */
export interface CheckedFetchOptions {
  grants: readonly NetGrant[];
  /** Shimmy's own listen addresses: refused whatever the grants say. */
  serverAddresses: readonly { host: string; port: number }[];
  maxResponseBytes: number;
  /** For the whole call: DNS, every hop and every body byte. */
  timeoutMs: number;
  maxRedirects?: number;
  /** Resolves a name to its addresses; off libuv's pool with c-ares (dns-resolve.ts) unless injected (tests). */
  lookup?: (host: string) => Promise<string[]>;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
// Credentials set for one origin must not travel to another one a redirect names (as fetch does).
const CROSS_ORIGIN_DROPPED = new Set(["authorization", "cookie", "proxy-authorization"]);
// Headers the host owns: Host is the granted name, the length is the body's, hop-by-hop is ours.
const HOST_OWNED = new Set(["host", "content-length", "transfer-encoding", "connection", "keep-alive", "upgrade", "te", "trailer"]);

// Never dns.lookup: getaddrinfo would wait on the pool thread inference runs on.
const defaultLookup = createResolver();

function isLoopbackOrUnspecified(canon: string): boolean {
  return canon.startsWith("127.") || canon === "0.0.0.0" || canon === "0:0:0:0:0:0:0:1" || canon === "0:0:0:0:0:0:0:0";
}

/** Whether connecting to `address:port` could reach Shimmy's own server. */
function isServerAddress(address: string, port: number, servers: CheckedFetchOptions["serverAddresses"]): boolean {
  const addr = canonicalAddress(address);
  if (addr === null) return true;
  for (const server of servers) {
    if (server.port !== port) continue;
    const host = canonicalAddress(bareHost(server.host.toLowerCase()));
    if (host !== null && !isLoopbackOrUnspecified(host)) {
      if (host === addr) return true;
      continue;
    }
    // Bound to loopback, to all interfaces, or to a name we cannot compare without another lookup:
    // every address of this machine on that port may be the server.
    if (isLoopbackOrUnspecified(addr) || localAddresses().has(addr)) return true;
    if (host === null && isPrivateAddress(address)) return true;
  }
  return false;
}

function localAddresses(): Set<string> {
  const set = new Set<string>();
  for (const list of Object.values(networkInterfaces())) {
    for (const info of list ?? []) {
      const canon = canonicalAddress(info.address);
      if (canon) set.add(canon);
    }
  }
  return set;
}

/** Whether `grant` lets the plugin reach the private `address`: only a literal grant naming it. */
function privateAllowed(grant: NetGrant, address: string): boolean {
  if (!grant.literal) return false;
  if (grant.fromConfig) return true; // the user wrote this origin in their own config
  return canonicalAddress(bareHost(grant.host)) === canonicalAddress(address);
}

function grantsText(grants: readonly NetGrant[]): string {
  return grants.length === 0 ? "no network access" : grants.map(describeGrant).join(", ");
}

/** Settles with `promise`, or rejects with `signal.reason` as soon as the signal aborts. */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/** Checks one URL against grants, DNS and the server's addresses; returns the address to connect to. */
async function checkHop(url: URL, options: CheckedFetchOptions, signal: AbortSignal): Promise<string> {
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new PluginCallError("permission_denied", `${url.protocol} URLs are not allowed; only http and https`);
  }
  if (url.username !== "" || url.password !== "") {
    throw new PluginCallError("invalid_request", "URLs with credentials are not allowed; send an Authorization header");
  }
  const grant = matchGrant(url, options.grants);
  const origin = `${url.protocol}//${url.hostname}:${urlPort(url)}`;
  if (!grant) {
    throw new PluginCallError("permission_denied", `${origin} is not granted; the manifest grants ${grantsText(options.grants)}`);
  }
  const host = bareHost(url.hostname);
  let addresses: string[];
  if (isIP(host) !== 0) {
    addresses = [host];
  } else {
    const lookup = options.lookup ?? defaultLookup;
    try {
      addresses = await raceAbort(lookup(host), signal);
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      throw new PluginCallError("network_error", `could not resolve ${host}`, { cause: error });
    }
  }
  if (addresses.length === 0) throw new PluginCallError("network_error", `${host} has no address`);
  const port = urlPort(url);
  // Every answer is checked, not just the first: a mixed answer is how rebinding attacks hide.
  for (const address of addresses) {
    if (isServerAddress(address, port, options.serverAddresses)) {
      throw new PluginCallError("permission_denied", `${origin} (${address}) is Shimmy's own server and is never reachable from a plugin`);
    }
    if (isPrivateAddress(address) && !privateAllowed(grant, address)) {
      throw new PluginCallError(
        "permission_denied",
        `${origin} resolves to the private address ${address}; only a grant that names it literally (an IP, or a {config.KEY} origin) may reach it`,
      );
    }
  }
  return addresses[0] as string;
}

/** One request to `address`, with the name kept for Host and TLS; the body is read under the cap. */
function sendHop(
  url: URL,
  address: string,
  method: string,
  headers: Record<string, string>,
  body: Buffer | undefined,
  maxBytes: number,
  signal: AbortSignal,
): Promise<CheckedResponse> {
  return new Promise<CheckedResponse>((resolve, reject) => {
    const name = bareHost(url.hostname);
    const outHeaders: Record<string, string> = { ...headers, host: url.host };
    if (body) outHeaders["content-length"] = String(body.length);
    const opts: https.RequestOptions = {
      host: address, // an IP: net.connect does not consult DNS again, so a rebinding answer cannot move us
      port: urlPort(url),
      method,
      path: `${url.pathname}${url.search}`,
      headers: outHeaders,
      agent: false, // no pooled socket that was opened for another check
      signal,
    };
    if (url.protocol === "https:" && isIP(name) === 0) opts.servername = name; // SNI and certificate check use the name
    let req: http.ClientRequest;
    const fail = (error: unknown) => {
      req?.destroy();
      if (signal.aborted) reject(signal.reason);
      else if (error instanceof PluginCallError) reject(error);
      else reject(new PluginCallError("network_error", `request to ${url.origin} failed: ${(error as Error).message}`, { cause: error }));
    };
    try {
      req = (url.protocol === "https:" ? https : http).request(opts, (res) => {
        const status = res.statusCode ?? 0;
        const outHeadersIn: Record<string, string> = {};
        for (const [key, value] of Object.entries(res.headers)) {
          if (value !== undefined) outHeadersIn[key] = Array.isArray(value) ? value.join(", ") : value;
        }
        if (REDIRECTS.has(status) && res.headers.location) {
          res.resume(); // the redirect body is never handed to the plugin
          resolve({ status, headers: outHeadersIn, body: Buffer.alloc(0) });
          req.destroy();
          return;
        }
        const declared = Number(res.headers["content-length"]);
        if (Number.isFinite(declared) && declared > maxBytes) {
          fail(new PluginCallError("response_too_large", `the response from ${url.origin} declares ${declared} bytes; the cap is ${maxBytes}`));
          return;
        }
        const chunks: Buffer[] = [];
        let received = 0;
        res.on("data", (chunk: Buffer) => {
          received += chunk.length; // counted as streamed: Content-Length may be absent or false
          if (received > maxBytes) {
            fail(new PluginCallError("response_too_large", `the response from ${url.origin} is over the cap of ${maxBytes} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        res.on("end", () => resolve({ status, headers: outHeadersIn, body: Buffer.concat(chunks) }));
        res.on("error", fail);
        res.on("aborted", () => fail(new Error("the server closed the response early")));
      });
    } catch (error) {
      // http.request throws synchronously on a bad method or header value
      reject(new PluginCallError("invalid_request", `invalid request: ${(error as Error).message}`, { cause: error }));
      return;
    }
    req.on("error", fail);
    req.end(body);
  });
}

/**
 * Fetches `request.url` for a plugin under its grants and limits. Each hop is checked from scratch
 * (grant, one DNS resolution, private ranges, Shimmy's own address); redirects are followed by hand.
 *
 * @throws {PluginCallError} `permission_denied`, `response_too_large`, `timeout`, `too_many_redirects`,
 *   `invalid_request` or `network_error`.
 */
export async function checkedFetch(request: CheckedRequest, options: CheckedFetchOptions): Promise<CheckedResponse> {
  const maxRedirects = options.maxRedirects ?? 5;
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new PluginCallError("timeout", `the request took longer than ${options.timeoutMs} ms`)),
    options.timeoutMs,
  );
  try {
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      throw new PluginCallError("invalid_request", `not an absolute URL: ${String(request.url).slice(0, 200)}`);
    }
    let method = String(request.method || "GET").toUpperCase();
    let body = request.body === undefined ? undefined : Buffer.from(request.body);
    let headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(request.headers ?? {})) {
      if (!HOST_OWNED.has(key.toLowerCase())) headers[key] = String(value);
    }
    for (let redirects = 0; ; redirects++) {
      const address = await checkHop(url, options, controller.signal);
      const response = await sendHop(url, address, method, headers, body, options.maxResponseBytes, controller.signal);
      const location = response.headers.location;
      if (!REDIRECTS.has(response.status) || location === undefined) return response;
      if (redirects >= maxRedirects) {
        throw new PluginCallError("too_many_redirects", `more than ${maxRedirects} redirects, starting at ${request.url}`);
      }
      let next: URL;
      try {
        next = new URL(location, url);
      } catch {
        throw new PluginCallError("network_error", `${url.origin} redirected to an invalid URL`);
      }
      // As fetch: 303 turns anything but HEAD into GET; 301/302 turn POST into GET; 307/308 keep both.
      if ((response.status === 303 && method !== "HEAD") || ((response.status === 301 || response.status === 302) && method === "POST")) {
        method = "GET";
        body = undefined;
        headers = Object.fromEntries(Object.entries(headers).filter(([k]) => !k.toLowerCase().startsWith("content-")));
      }
      if (next.origin !== url.origin) {
        headers = Object.fromEntries(Object.entries(headers).filter(([k]) => !CROSS_ORIGIN_DROPPED.has(k.toLowerCase())));
      }
      url = next;
    }
  } finally {
    clearTimeout(timer);
  }
}
