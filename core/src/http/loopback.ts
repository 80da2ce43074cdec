/** Loopback names and addresses, for the Host and Origin checks. */

/** Host names that always mean this machine. */
export const LOOPBACK_NAMES: ReadonlySet<string> = new Set(["localhost", "127.0.0.1", "[::1]", "::1"]);

/** Whether a listen address is a loopback one (so only this machine can connect). */
export function isLoopbackAddress(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, "").toLowerCase();
  return bare === "localhost" || bare === "::1" || /^127(\.\d{1,3}){3}$/.test(bare);
}

/**
 * The host name of a `Host` header value, lower-cased, without the port: `[::1]:8080` gives
 * `[::1]`, `Example.com.:80` gives `example.com`. Null when it is not a host.
 */
export function hostnameOf(hostHeader: string): string | null {
  const match = /^(\[[0-9a-f:.]+\]|[^:\[\]]+)(?::(\d{1,5}))?$/i.exec(hostHeader.trim());
  if (!match) return null;
  return match[1]!.toLowerCase().replace(/\.$/, "");
}
