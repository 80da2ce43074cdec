import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { gzipWithZeros, rawTarball } from "../../test/helpers/raw-tar.js";
import { PackageError, readPackage } from "./package-reader.js";

// The reader's entry and bomb checks are tested where it is used, through each caller's errors
// (core/src/plugins/store/package-reader.test.ts, registry-server/src/package-reader.test.ts).
const GOOD = [{ name: "package/package.json", body: "{}" }];

describe("readPackage", () => {
  it("reads a plain tar archive unless requireGzip", async () => {
    const plain = gunzipSync(rawTarball(GOOD));
    expect([...(await readPackage(plain)).keys()]).toEqual(["package.json"]);
    await expect(readPackage(plain, { requireGzip: true })).rejects.toMatchObject({ code: "invalid_package", message: "the package is not a gzipped tarball" });
  });

  it("fails with coded PackageErrors, package_too_large for the compressed size", async () => {
    const error = await readPackage(rawTarball(GOOD), { maxTarballBytes: 10 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PackageError);
    expect(error).toMatchObject({ name: "PackageError", code: "package_too_large" });
  });

  it("says a bomb of zeros also declares more than the cap, when its gzip trailer does", async () => {
    const bomb = await gzipWithZeros(Buffer.alloc(0), 4 << 20);
    await expect(readPackage(bomb, { maxUnpackedBytes: 1 << 20 })).rejects.toThrow(
      `the package has data after the end of its tar archive; refusing the whole package (it unpacks to more than ${1 << 20} bytes: its gzip trailer says ${4 << 20})`,
    );
    await expect(readPackage(bomb)).rejects.toThrow(/^the package has data after the end of its tar archive; refusing the whole package$/);
  });
});
