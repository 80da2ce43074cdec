/**
 * The digests a registry speaks: sha512 SRI (`dist.integrity`, as ssri writes it), sha1 hex
 * (`dist.shasum`, which old clients still check) and sha512 hex (the address of a stored tarball).
 */
import { createHash, timingSafeEqual } from "node:crypto";

/** `sha512-BASE64` of `bytes`, as npm and ssri write `integrity`. */
export function sha512Integrity(bytes: Uint8Array): string {
  return `sha512-${createHash("sha512").update(bytes).digest("base64")}`;
}

/** Hex sha1 of `bytes`: npm's `dist.shasum`. */
export function sha1Hex(bytes: Uint8Array): string {
  return createHash("sha1").update(bytes).digest("hex");
}

/** Hex sha512 of an SRI `sha512-BASE64` string: where the tarball is stored. */
export function integrityToHex(integrity: string): string {
  const match = /^sha512-([A-Za-z0-9+/]{86}==)$/.exec(integrity);
  if (!match) throw new TypeError(`not a sha512 SRI integrity: ${integrity}`);
  return Buffer.from(match[1]!, "base64").toString("hex");
}

/**
 * Whether `bytes` match a declared SRI string. Only the sha512 entries count (a weaker one alone
 * is not enough); several space-separated entries may be given, as SRI allows, and one must match.
 */
export function matchesIntegrity(bytes: Uint8Array, declared: string): boolean {
  const actual = Buffer.from(createHash("sha512").update(bytes).digest());
  const entries = declared.trim().split(/\s+/).filter((entry) => entry.startsWith("sha512-"));
  return entries.some((entry) => {
    const digest = Buffer.from(entry.slice("sha512-".length).replace(/\?.*$/, ""), "base64");
    return digest.length === actual.length && timingSafeEqual(digest, actual);
  });
}
