/**
 * sha512 Subresource Integrity, as npm writes `dist.integrity` and ssri checks it: the tarball is
 * checked against it before anything reads the archive. Only sha512 counts; a weaker hash alone
 * (npm's old sha1 `shasum`) is refused.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { RegistryError } from "./registry-error.js";

/** `sha512-BASE64` of `bytes`. */
export function sha512Integrity(bytes: Uint8Array): string {
  return `sha512-${createHash("sha512").update(bytes).digest("base64")}`;
}

/** The sha512 digests of an SRI string (it may list several hashes, space-separated, with options after `?`). */
export function sha512Digests(integrity: string): Buffer[] {
  return integrity
    .trim()
    .split(/\s+/)
    .filter((part) => part.startsWith("sha512-"))
    .map((part) => Buffer.from(part.slice("sha512-".length).split("?")[0] ?? "", "base64"))
    .filter((digest) => digest.length === 64);
}

/**
 * Checks `bytes` against `integrity`.
 *
 * @example
 * verifyIntegrity(tarball, version.dist.integrity, "web-search@1.0.0");
 * @throws {RegistryError} `integrity_mismatch` when no sha512 is given or none matches.
 */
export function verifyIntegrity(bytes: Uint8Array, integrity: string | undefined, what: string): void {
  const expected = sha512Digests(integrity ?? "");
  if (expected.length === 0) {
    throw new RegistryError("integrity_mismatch", `${what} has no sha512 integrity (got ${JSON.stringify(integrity ?? null)}): refusing a package that cannot be checked`);
  }
  const actual = createHash("sha512").update(bytes).digest();
  if (!expected.some((digest) => timingSafeEqual(digest, actual))) {
    throw new RegistryError(
      "integrity_mismatch",
      `the tarball of ${what} does not match its integrity: expected ${integrity}, got sha512-${actual.toString("base64")}. It was changed after publishing, or in transit; nothing was installed`,
    );
  }
}
