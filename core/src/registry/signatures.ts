/**
 * Registry signatures checked as pacote checks them (`verifySignatures`): each version's
 * `dist.signatures[]` is an ECDSA signature over `${name}@${version}:${integrity}`, made with a key
 * the registry lists at `GET /-/npm/v1/keys`, whose `keyid` is `SHA256:` + base64 sha256 of the key's
 * SPKI DER. Pure: the keys to trust come from the caller (key-pins.ts decides which).
 */
import { createHash, createPublicKey, verify } from "node:crypto";
import type { PackumentVersion } from "./packument.js";
import { RegistryError } from "./registry-error.js";

/** One entry of `GET /-/npm/v1/keys`. */
export interface RegistryKey {
  keyid: string;
  /** base64 of the SPKI DER public key. */
  key: string;
  keytype?: string;
  scheme?: string;
  /** ISO 8601, or null for a key that does not expire. */
  expires?: string | null;
}

/** The message npm's registry signs for a version. */
export function signedMessage(name: string, version: string, integrity: string): string {
  return `${name}@${version}:${integrity}`;
}

/** The keyid npm derives from a key: `SHA256:` + base64 sha256 of its SPKI DER. */
export function keyIdOf(key: string): string {
  return `SHA256:${createHash("sha256").update(Buffer.from(key, "base64")).digest("base64")}`;
}

/**
 * Whether `key`'s keyid is the one its material gives: a key listed under another key's id is a lie.
 */
export function keyIdMatches(key: RegistryKey): boolean {
  return keyIdOf(key.key) === key.keyid;
}

/**
 * Verifies `version`'s registry signature with one of `keys`; resolves to the keyid that signed it.
 * As pacote: a signature by a key that expired before the version was published does not count.
 *
 * @param publishedAt When the version was published (the packument's `time[version]`), for expiry.
 * @throws {RegistryError} `signature_invalid` when the version has no signature, none by a known key,
 *   or one that does not verify.
 */
export function verifyVersionSignature(version: PackumentVersion, keys: readonly RegistryKey[], publishedAt?: string): string {
  const what = `${version.name}@${version.version}`;
  const signatures = version.dist.signatures ?? [];
  if (signatures.length === 0) throw new RegistryError("signature_invalid", `${what} carries no registry signature, but the registry signs its packages: refusing it`);
  const integrity = version.dist.integrity ?? "";
  const message = Buffer.from(signedMessage(version.name, version.version, integrity));
  for (const signature of signatures) {
    const key = keys.find((k) => k.keyid === signature.keyid);
    if (!key) continue;
    if (key.expires && publishedAt && new Date(key.expires) < new Date(publishedAt)) {
      throw new RegistryError("signature_invalid", `${what} is signed with ${key.keyid}, which expired (${key.expires}) before it was published (${publishedAt})`);
    }
    let ok = false;
    try {
      const publicKey = createPublicKey({ key: Buffer.from(key.key, "base64"), format: "der", type: "spki" });
      ok = verify("sha256", message, publicKey, Buffer.from(signature.sig, "base64"));
    } catch {
      ok = false; // a malformed key or signature verifies nothing
    }
    if (!ok) {
      throw new RegistryError("signature_invalid", `the registry signature of ${what} (${signature.keyid}) does not verify: its packument was changed after signing. Nothing was installed`);
    }
    return key.keyid;
  }
  throw new RegistryError(
    "signature_invalid",
    `${what} is signed only by ${signatures.map((s) => s.keyid).join(", ")}, which is not among the keys trusted for this registry (${keys.map((k) => k.keyid).join(", ") || "none"})`,
  );
}
