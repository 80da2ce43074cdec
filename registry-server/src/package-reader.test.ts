import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { gzipWithZeros, rawTarball } from "../../test/helpers/raw-tar.js";
import { readPackage, unsafeEntryPath } from "./package-reader.js";

const files = [
  { name: "package/package.json", body: "{}" },
  { name: "package/plugin.wasm", body: "wasm" },
];

describe("readPackage", () => {
  it("returns the files it reads and drops the rest after checking them", async () => {
    const read = await readPackage(rawTarball([...files, { name: "package/", type: "5" }, { name: "package/notes/extra.txt", body: "x" }]));
    expect([...read.keys()].sort()).toEqual(["package.json", "plugin.wasm"]);
    expect(read.get("plugin.wasm")!.toString()).toBe("wasm");
  });

  it("refuses unsafe entries, naming them", async () => {
    await expect(readPackage(rawTarball([...files, { name: "package/../x", body: "x" }]))).rejects.toMatchObject({ code: "unsafe_package", message: expect.stringContaining("'..' segment") });
    await expect(readPackage(rawTarball([{ name: "/abs", body: "x" }]))).rejects.toMatchObject({ message: expect.stringContaining("absolute path") });
    await expect(readPackage(rawTarball([{ name: "package/l", type: "2", linkname: "/etc/passwd" }]))).rejects.toMatchObject({ message: expect.stringContaining("SymbolicLink") });
    await expect(readPackage(rawTarball([...files, files[0]!]))).rejects.toMatchObject({ message: expect.stringContaining("twice") });
  });

  it("bounds entries, tarball size and inflated bytes", async () => {
    const many = Array.from({ length: 5 }, (_, i) => ({ name: `package/f${i}`, body: "x" }));
    await expect(readPackage(rawTarball(many), { maxEntries: 4, maxTarballBytes: 1 << 20, maxUnpackedBytes: 1 << 20 })).rejects.toMatchObject({ message: expect.stringContaining("more than 4 entries") });
    await expect(readPackage(rawTarball(files), { maxEntries: 10, maxTarballBytes: 10, maxUnpackedBytes: 1 << 20 })).rejects.toMatchObject({ code: "payload_too_large" });
    const bomb = await gzipWithZeros(Buffer.alloc(0), 4 << 20);
    await expect(readPackage(bomb, { maxEntries: 10, maxTarballBytes: 1 << 20, maxUnpackedBytes: 1 << 20 })).rejects.toMatchObject({ message: expect.stringContaining("unpacks to more than") });
  });

  it("refuses what is not one gzipped tarball", async () => {
    await expect(readPackage(Buffer.from("plain text"))).rejects.toMatchObject({ code: "invalid_package" });
    await expect(readPackage(gzipSync(rawTarball(files)))).rejects.toMatchObject({ message: expect.stringContaining("compressed twice") });
    await expect(readPackage(gzipSync(Buffer.from("not a tar archive at all")))).rejects.toMatchObject({ code: "invalid_package" });
  });
});

describe("unsafeEntryPath", () => {
  it("checks the path as written", () => {
    expect(unsafeEntryPath("package/a/b.txt")).toBeNull();
    expect(unsafeEntryPath("C:/x")).toBe("an absolute path");
    expect(unsafeEntryPath("package\\..\\x")).toBe("a '..' segment");
    expect(unsafeEntryPath("other/x")).toBe("a path outside package/");
  });
});
