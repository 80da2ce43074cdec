/**
 * Network grants: the manifest's `permissions.net` patterns turned into origins a URL is matched
 * against, and the address classification that decides which resolved IPs a grant may reach.
 *
 * The Extism SDK's own `allowedHosts` compares `url.hostname` only (notes-extism.md); here scheme,
 * host and port must all match, and private addresses need a grant that names them literally.
 */
import { isIP } from "node:net";

/** One origin a plugin may reach. */
export interface NetGrant {
  scheme: "http" | "https";
  /** Lowercased, as WHATWG `URL.hostname` writes it (IPv6 in brackets). For a wildcard: the suffix after `*.`. */
  host: string;
  /** `*.example.com`: any subdomain of `host`, never `host` itself. */
  wildcard: boolean;
  /** The port, default ports (80/443) filled in. */
  port: number;
  /**
   * Whether the grant names its target literally: an IP-literal host, or an origin the user wrote in
   * their own config (a `{config.KEY}` template). Only literal grants may reach private addresses.
   */
  literal: boolean;
  /** Whether a `{config.KEY}` template produced it. */
  fromConfig: boolean;
  /** The manifest pattern it came from, for error messages. */
  pattern: string;
}

const TEMPLATE = /\{config\.([A-Za-z0-9_.-]+)\}/g;

/**
 * Expands `{config.KEY}` templates in `text` from `config`. Returns null when a key is missing or
 * empty, so the pattern grants nothing (an unset base URL must not widen anything).
 */
export function expandTemplates(text: string, config: Record<string, unknown>): { value: string; templated: boolean } | null {
  let missing = false;
  let templated = false;
  const value = text.replace(TEMPLATE, (_whole, key: string) => {
    templated = true;
    const v = config[key];
    if (typeof v === "string" && v.trim() !== "") return v.trim();
    if (typeof v === "number" && Number.isFinite(v)) return String(v);
    missing = true;
    return "";
  });
  return missing ? null : { value, templated };
}

const WHOLE_TEMPLATE = /^\{config\.([A-Za-z0-9_.-]+)\}$/;

/**
 * Expands one permission pattern. A pattern that is exactly one `{config.KEY}` template whose value
 * is an array of strings (a list of origins or folders the user chose) gives one value per entry;
 * anything else expands as {@link expandTemplates} does. Empty when nothing is granted.
 */
export function expandPattern(pattern: string, config: Record<string, unknown>): { value: string; templated: boolean }[] {
  const whole = WHOLE_TEMPLATE.exec(pattern.trim());
  const list = whole ? config[whole[1] as string] : undefined;
  if (Array.isArray(list)) {
    return list.filter((v): v is string => typeof v === "string" && v.trim() !== "").map((v) => ({ value: v.trim(), templated: true }));
  }
  const expanded = expandTemplates(pattern, config);
  return expanded ? [expanded] : [];
}

/** The port a URL connects to, default ports filled in. */
export function urlPort(url: URL): number {
  if (url.port !== "") return Number(url.port);
  return url.protocol === "https:" ? 443 : 80;
}

/** A hostname without IPv6 brackets, as `net` and DNS take it. */
export function bareHost(hostname: string): string {
  return hostname.startsWith("[") && hostname.endsWith("]") ? hostname.slice(1, -1) : hostname;
}

/**
 * Parses one expanded pattern; null when it is not a plain `scheme://host[:port]` origin.
 * `userWritten`: the user typed the template's value (not a schema default), so it may be literal.
 */
function parseOrigin(pattern: string, fromConfig: boolean, userWritten: boolean): Omit<NetGrant, "pattern"> | null {
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/(\*\.)?(.*)$/.exec(pattern);
  if (!m) return null;
  const wildcard = m[2] !== undefined;
  let url: URL;
  try {
    // The wildcard label is taken off before parsing so that URL does the host normalization
    // (lowercase, IDNA, IPv4 forms) exactly as it will for the URLs matched later.
    url = new URL(`${m[1]}://${m[3]}`);
  } catch {
    return null;
  }
  const scheme = url.protocol.slice(0, -1);
  if (scheme !== "http" && scheme !== "https") return null;
  if (url.username !== "" || url.password !== "" || url.hostname === "") return null;
  // A manifest origin has no path; a URL from the user's config (a base URL such as
  // `http://localhost:11434/v1`) is reduced to its origin, since the user means that server.
  if (!fromConfig && (url.pathname !== "/" || url.search !== "" || url.hash !== "" || /[/?#]./.test(m[3] ?? ""))) return null;
  const host = url.hostname.toLowerCase();
  const ipLiteral = isIP(bareHost(host)) !== 0;
  // `*.10.0.0.1` or `*.[::1]` would be meaningless; a wildcard must be over a DNS name with a dot.
  if (wildcard && (ipLiteral || !host.includes("."))) return null;
  return { scheme, host, wildcard, port: urlPort(url), literal: !wildcard && (ipLiteral || (fromConfig && userWritten)), fromConfig };
}

/**
 * Turns `permissions.net` patterns into grants. Templates are expanded from the user's config (a
 * whole-pattern template over a list gives one grant per entry); a template with a missing or empty
 * key, or a pattern that is not an origin, grants nothing. `defaulted` names the keys whose values
 * are the config schema's defaults rather than the user's: a pattern made of those only is not
 * literal (a manifest's default origin gets no more reach than a manifest's literal origin).
 *
 * @example resolveGrants(["https://*.example.com", "{config.baseUrl}"], { baseUrl: "http://127.0.0.1:8080" })
 */
export function resolveGrants(patterns: string[], config: Record<string, unknown>, defaulted: ReadonlySet<string> = new Set()): NetGrant[] {
  const grants: NetGrant[] = [];
  for (const pattern of patterns) {
    const keys = [...pattern.matchAll(TEMPLATE)].map((m) => m[1] as string);
    const userWritten = keys.some((key) => !defaulted.has(key));
    for (const expanded of expandPattern(pattern, config)) {
      const origin = parseOrigin(expanded.value.trim(), expanded.templated, userWritten);
      if (origin) grants.push({ ...origin, pattern });
    }
  }
  return grants;
}

/** `scheme://host:port` of a grant, for messages. */
export function describeGrant(grant: NetGrant): string {
  return `${grant.scheme}://${grant.wildcard ? "*." : ""}${grant.host}:${grant.port}`;
}

/**
 * The grant that covers `url`, or null. Scheme, host and port must all match; an exact host wins
 * over a wildcard so that a literal grant's right to private addresses is the one applied.
 */
export function matchGrant(url: URL, grants: readonly NetGrant[]): NetGrant | null {
  const scheme = url.protocol.slice(0, -1);
  const host = url.hostname.toLowerCase();
  const port = urlPort(url);
  let wildcardMatch: NetGrant | null = null;
  for (const g of grants) {
    if (g.scheme !== scheme || g.port !== port) continue;
    if (!g.wildcard && g.host === host) return g;
    if (g.wildcard && !wildcardMatch && host.length > g.host.length + 1 && host.endsWith(`.${g.host}`)) wildcardMatch = g;
  }
  return wildcardMatch;
}

/** Four octets of an IPv4 address, or null. */
function parseIPv4(ip: string): number[] | null {
  if (isIP(ip) !== 4) return null;
  return ip.split(".").map(Number);
}

/** Eight 16-bit groups of an IPv6 address (embedded IPv4 and `::` expanded), or null. */
export function parseIPv6(ip: string): number[] | null {
  const bare = bareHost(ip).split("%")[0] ?? ""; // a zone id (`fe80::1%eth0`) does not change the class
  if (isIP(bare) !== 6) return null;
  let text = bare;
  const tail: number[] = [];
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4?.[1]) {
    const o = parseIPv4(v4[1]);
    if (!o) return null;
    tail.push(((o[0] ?? 0) << 8) | (o[1] ?? 0), ((o[2] ?? 0) << 8) | (o[3] ?? 0));
    text = text.slice(0, -v4[1].length) + "0:0"; // placeholder groups, replaced below
  }
  const [head, rest] = text.includes("::") ? text.split("::") : [text, undefined];
  const toGroups = (s: string | undefined) => (s ? s.split(":").filter((x) => x !== "").map((h) => parseInt(h, 16)) : []);
  const a = toGroups(head);
  const b = toGroups(rest);
  const groups = rest === undefined ? a : [...a, ...new Array<number>(8 - a.length - b.length).fill(0), ...b];
  if (groups.length !== 8) return null;
  if (tail.length) groups.splice(6, 2, ...tail);
  return groups;
}

function ipv4IsPrivate([a = 0, b = 0, c = 0]: number[]): boolean {
  return (
    a === 0 || // 0.0.0.0/8 "this network", includes the unspecified address
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b <= 127) || // CGNAT 100.64/10
    (a === 169 && b === 254) || // link-local, cloud metadata endpoints
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 192 && b === 0 && c === 0) || // IETF protocol assignments
    (a === 198 && (b === 18 || b === 19)) || // benchmarking
    a >= 224 // multicast 224/4, reserved 240/4, broadcast 255.255.255.255
  );
}

/**
 * Whether an address must not be reached without a literal grant: loopback, RFC 1918, link-local,
 * CGNAT, unique-local, unspecified, multicast, broadcast, reserved, and IPv6 forms that embed such
 * an IPv4 address (mapped `::ffff:127.0.0.1`, compatible, NAT64, 6to4). Anything that is not an IP
 * address counts as private, so a bad answer is refused rather than trusted.
 */
export function isPrivateAddress(ip: string): boolean {
  const v4 = parseIPv4(ip);
  if (v4) return ipv4IsPrivate(v4);
  const g = parseIPv6(ip);
  if (!g) return true;
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = g;
  const embedded = [g6 >> 8, g6 & 0xff, g7 >> 8, g7 & 0xff];
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0) {
    if (g5 === 0xffff) return ipv4IsPrivate(embedded); // IPv4-mapped
    if (g5 === 0) return true; // ::, ::1 and the deprecated IPv4-compatible ::/96
  }
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return ipv4IsPrivate(embedded); // NAT64
  if (g0 === 0x2002) return ipv4IsPrivate([g1 >> 8, g1 & 0xff, g2 >> 8, g2 & 0xff]); // 6to4
  if ((g0 & 0xfe00) === 0xfc00) return true; // unique-local fc00::/7
  if ((g0 & 0xffc0) === 0xfe80) return true; // link-local fe80::/10
  if ((g0 & 0xffc0) === 0xfec0) return true; // deprecated site-local fec0::/10
  if ((g0 & 0xff00) === 0xff00) return true; // multicast ff00::/8
  return false;
}

/**
 * A canonical text for comparing addresses: IPv4 as is, IPv6 fully expanded, an IPv4-mapped IPv6
 * address as its IPv4 form (so `::ffff:127.0.0.1` equals `127.0.0.1`). Null when not an address.
 */
export function canonicalAddress(ip: string): string | null {
  if (parseIPv4(ip)) return ip;
  const g = parseIPv6(ip);
  if (!g) return null;
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) {
    const [g6 = 0, g7 = 0] = g.slice(6);
    return `${g6 >> 8}.${g6 & 0xff}.${g7 >> 8}.${g7 & 0xff}`;
  }
  return g.map((x) => x.toString(16)).join(":");
}
