/**
 * Name resolution for plugin requests that never waits on libuv's thread pool. `dns.lookup` is
 * getaddrinfo on a pool thread, and the launcher gives that pool one thread, the one llama.cpp
 * evaluates on: a plugin asking for a name whose DNS server never answers would hold every chat
 * completion for as long as the system resolver retries. So names are looked up the way
 * getaddrinfo would for the cases that matter (the hosts file, then DNS A and AAAA records), with
 * c-ares (`dns.Resolver`), which runs on the event loop, under a deadline.
 */
import { Resolver } from "node:dns/promises";
import { readFileSync, statSync } from "node:fs";
import { isIP } from "node:net";

/** Options of {@link createResolver}. */
export interface ResolverOptions {
  /** DNS servers (`ip` or `ip:port`); the system's (`/etc/resolv.conf`) when absent. */
  servers?: string[];
  /** @default /etc/hosts */
  hostsFile?: string;
  /** Per DNS query attempt, in ms. @default 2000 */
  timeoutMs?: number;
}

/** Resolves a host name to its addresses, IPv4 first; throws (with a DNS error code) when it has none. */
export type ResolveHost = (host: string) => Promise<string[]>;

// The hosts file is larger than this only when something is wrong; it is then ignored.
const MAX_HOSTS_BYTES = 1024 * 1024;

/** Parses a hosts file into name (lower case) → addresses, in file order. */
export function parseHosts(text: string): Map<string, string[]> {
  const names = new Map<string, string[]>();
  for (const raw of text.split("\n")) {
    const [address, ...aliases] = raw.replace(/#.*/, "").trim().split(/\s+/);
    if (!address || isIP(address.replace(/%.*$/, "")) === 0) continue;
    for (const alias of aliases) {
      const key = alias.toLowerCase();
      const list = names.get(key) ?? [];
      if (!list.includes(address)) list.push(address);
      names.set(key, list);
    }
  }
  return names;
}

/** A resolver reading the hosts file (again whenever it changes) and asking DNS through c-ares. */
export function createResolver(options: ResolverOptions = {}): ResolveHost {
  const hostsFile = options.hostsFile ?? "/etc/hosts";
  const resolver = new Resolver({ timeout: options.timeoutMs ?? 2000, tries: 2 });
  if (options.servers) resolver.setServers(options.servers);
  let hosts = { mtimeMs: -1, names: new Map<string, string[]>() };

  // Synchronous on purpose: a small regular file read on the event loop takes microseconds, where
  // the asynchronous read would queue on the pool thread this module exists to stay off.
  function hostsEntries(name: string): string[] | undefined {
    try {
      const stat = statSync(hostsFile);
      if (!stat.isFile() || stat.size > MAX_HOSTS_BYTES) return undefined;
      if (stat.mtimeMs !== hosts.mtimeMs) hosts = { mtimeMs: stat.mtimeMs, names: parseHosts(readFileSync(hostsFile, "utf8")) };
    } catch {
      return undefined;
    }
    return hosts.names.get(name.toLowerCase());
  }

  return async (host: string): Promise<string[]> => {
    if (isIP(host) !== 0) return [host];
    const name = host.endsWith(".") ? host.slice(0, -1) : host;
    const listed = hostsEntries(name);
    if (listed) return [...listed.filter((a) => isIP(a) === 4), ...listed.filter((a) => isIP(a) === 6)];
    const [v4, v6] = await Promise.allSettled([resolver.resolve4(name), resolver.resolve6(name)]);
    const addresses = [...(v4.status === "fulfilled" ? v4.value : []), ...(v6.status === "fulfilled" ? v6.value : [])];
    if (addresses.length > 0) return addresses;
    throw v4.status === "rejected" ? v4.reason : (v6 as PromiseRejectedResult).reason;
  };
}
