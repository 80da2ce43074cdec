/**
 * The registry's reading of a published tarball: the SDK's strict reader (the same one the core
 * installs with), npm's `.tgz` only, under the registry's caps, its refusals turned into 4xx
 * {@link RegistryError}s.
 */
import { PackageError, readPackage as readWithSdk, type PackageCaps } from "@shimmy/plugin-sdk";
import { RegistryError } from "./errors.js";

export type { PackageCaps } from "@shimmy/plugin-sdk";
export { unsafeEntryPath } from "@shimmy/plugin-sdk";

/** The registry's {@link PackageCaps}: tarballs within the core's cap (32 MiB), so whatever is published installs. */
export const PACKAGE_CAPS: Readonly<PackageCaps> = Object.freeze({
  maxTarballBytes: 16 * 1024 * 1024,
  maxUnpackedBytes: 64 * 1024 * 1024,
  maxEntries: 256,
});

/**
 * Parses a gzipped `tarball` and returns the files the registry reads, by path under `package/`.
 *
 * @throws {RegistryError} `unsafe_package` naming the bad entry or cap, `invalid_package` when the
 *   bytes are no gzipped tarball, `payload_too_large` past `maxTarballBytes`.
 */
export async function readPackage(tarball: Uint8Array, caps: PackageCaps = PACKAGE_CAPS): Promise<Map<string, Buffer>> {
  try {
    return await readWithSdk(tarball, { ...caps, requireGzip: true });
  } catch (error) {
    if (!(error instanceof PackageError)) throw error;
    throw new RegistryError(error.code === "package_too_large" ? "payload_too_large" : error.code, error.message, { cause: error });
  }
}
