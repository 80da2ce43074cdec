/**
 * The store's reading of a plugin package: the SDK's strict, bounded reader (the one the registry
 * checks publishes with), under the store's caps, its refusals turned into {@link StoreError}s.
 * Writing the accepted files is the caller's job (they are plain bytes by then), so no tar entry
 * can ever create a link or reach outside the staging folder.
 */
import { PACKAGE_CAPS, PackageError, readPackage as readWithSdk, type PackageCaps } from "@shimmy/plugin-sdk";
import { StoreError } from "./store-error.js";

export { keptFile, PACKAGE_CAPS, unsafeEntryPath, type PackageCaps } from "@shimmy/plugin-sdk";

/**
 * Parses `tarball` (gzipped or not) and returns the files a plugin uses (`keptFile`) by path
 * relative to `package/`.
 *
 * @throws {StoreError} `unsafe_package` naming the first bad entry, a cap passed or data after the
 *   archive's end, or `invalid_package` when the bytes are not a readable tarball.
 */
export async function readPackage(tarball: Uint8Array, caps: PackageCaps = PACKAGE_CAPS): Promise<Map<string, Buffer>> {
  try {
    return await readWithSdk(tarball, caps);
  } catch (error) {
    if (!(error instanceof PackageError)) throw error;
    throw new StoreError(error.code === "invalid_package" ? "invalid_package" : "unsafe_package", error.message, { cause: error });
  }
}
