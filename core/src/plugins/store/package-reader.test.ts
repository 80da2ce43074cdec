import { gunzipSync, gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { gzipWithZeros, rawTarball } from "../../../../test/helpers/raw-tar.js";
import { keptFile, readPackage, unsafeEntryPath } from "./package-reader.js";

const GOOD = [
  { name: "package/package.json", body: '{"name":"x","version":"1.0.0"}' },
  { name: "package/README.md", body: "# x" },
];

describe("readPackage", () => {
  it("reads the files under package/", async () => {
    const files = await readPackage(rawTarball([{ name: "package/", type: "5" }, ...GOOD, { name: "package/plugin.wasm", body: "w" }]));
    expect([...files.keys()].sort()).toEqual(["README.md", "package.json", "plugin.wasm"]);
    expect(files.get("README.md")?.toString()).toBe("# x");
  });

  it("keeps only the files a plugin uses, and drops the others unread", async () => {
    const files = await readPackage(
      rawTarball([...GOOD, { name: "package/LICENSE", body: "MIT" }, { name: "package/docs/a.md", body: "a" }, { name: "package/index.js", body: "evil()" }]),
    );
    expect([...files.keys()].sort()).toEqual(["LICENSE", "README.md", "package.json"]);
  });

  it.each([
    ["a '..' segment", { name: "package/../../evil.txt", body: "x" }, /"package\/..\/..\/evil.txt" has a '..' segment/],
    ["an absolute path", { name: "/tmp/evil.txt", body: "x" }, /has an absolute path/],
    ["a symlink", { name: "package/link", type: "2" as const, linkname: "/etc/passwd" }, /is a SymbolicLink to "\/etc\/passwd", not a file/],
    ["a hard link", { name: "package/hard", type: "1" as const, linkname: "package/README.md" }, /is a Link/],
    ["a path outside package/", { name: "other/file", body: "x" }, /a path outside package\//],
    ["a file twice, even one that is dropped", { name: "package/README.md", body: "again" }, /holds "package\/README.md" twice/],
  ])("refuses the whole package for %s, even after good entries", async (_what, bad, message) => {
    await expect(readPackage(rawTarball([...GOOD, bad]))).rejects.toMatchObject({ code: "unsafe_package", message: expect.stringMatching(message) });
  });

  it("refuses bytes that are not a tarball, and packages past the caps", async () => {
    await expect(readPackage(Buffer.from("not a tarball at all"))).rejects.toMatchObject({ code: "invalid_package" });
    await expect(readPackage(rawTarball(GOOD), { maxTarballBytes: 10, maxUnpackedBytes: 1e6, maxEntries: 10 })).rejects.toThrow(/the cap is 10/);
    await expect(readPackage(rawTarball(GOOD), { maxTarballBytes: 1e6, maxUnpackedBytes: 5, maxEntries: 10 })).rejects.toThrow(/more than 5 bytes/);
    await expect(readPackage(rawTarball(GOOD), { maxTarballBytes: 1e6, maxUnpackedBytes: 1e6, maxEntries: 1 })).rejects.toThrow(/more than 1 entries/);
  });

  it("refuses a gzip bomb of 100 MB of zeros (a 97 KB .tgz) at the archive's end, having inflated little of it", async () => {
    const bomb = await gzipWithZeros(Buffer.alloc(0), 100_000_000);
    expect(bomb.length).toBeLessThan(120_000);
    // The whole bomb would pass the cap on inflated bytes: only stopping at the end refuses it.
    await expect(readPackage(bomb, { maxTarballBytes: 1e6, maxUnpackedBytes: 200_000_000, maxEntries: 10 })).rejects.toMatchObject({
      code: "unsafe_package",
      message: "the package has data after the end of its tar archive; refusing the whole package",
    });
  });

  it("refuses a bomb after a valid archive's end, zeros or not, and accepts a record's padding", async () => {
    const archive = gunzipSync(rawTarball(GOOD));
    const after = /data after the end of its tar archive/;
    await expect(readPackage(await gzipWithZeros(archive, 100_000_000))).rejects.toMatchObject({ code: "unsafe_package", message: expect.stringMatching(after) });
    await expect(readPackage(gzipSync(Buffer.concat([archive, Buffer.from("more")])))).rejects.toThrow(after);
    await expect(readPackage(Buffer.concat([archive, Buffer.alloc(200_000)]))).rejects.toThrow(after);
    const padded = await readPackage(gzipSync(Buffer.concat([archive, Buffer.alloc(10240 - (archive.length % 10240))])));
    expect([...padded.keys()].sort()).toEqual(["README.md", "package.json"]);
  });

  it("refuses an entry whose header is over the cap before inflating it, and a package compressed twice", async () => {
    // A header claiming 8 GiB, then nothing: refused on the header alone.
    const header = Buffer.from(gunzipSync(rawTarball([{ name: "package/plugin.wasm", body: "x" }])).subarray(0, 512));
    header.write("77777777777\0", 124, "latin1");
    header.fill(" ", 148, 156);
    let sum = 0;
    for (const byte of header) sum += byte;
    header.write(sum.toString(8).padStart(6, "0") + "\0 ", 148, "latin1");
    await expect(readPackage(gzipSync(header))).rejects.toThrow(/"package\/plugin.wasm" is 8589934591 bytes; the package may unpack to 67108864/);
    await expect(readPackage(gzipSync(rawTarball(GOOD)))).rejects.toMatchObject({ code: "unsafe_package", message: expect.stringContaining("compressed twice") });
  });
});

describe("keptFile", () => {
  it("keeps the plugin's files and one top-level license, nothing else", () => {
    for (const f of ["package.json", "shimmy-plugin.json", "plugin.wasm", "README.md", "LICENSE", "LICENSE.md", "licence.txt", "COPYING"]) expect(keptFile(f)).toBe(true);
    for (const f of ["index.js", "docs/README.md", "sub/LICENSE", "README.txt", "plugin.wat", ".npmrc"]) expect(keptFile(f)).toBe(false);
  });
});

describe("unsafeEntryPath", () => {
  it("accepts plain paths under package/ only", () => {
    expect(unsafeEntryPath("package/plugin.wasm")).toBeNull();
    expect(unsafeEntryPath("package\\..\\x")).toMatch(/'\.\.'/);
    expect(unsafeEntryPath("C:/x")).toMatch(/absolute/);
  });
});
