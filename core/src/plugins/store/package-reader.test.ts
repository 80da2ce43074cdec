import { describe, expect, it } from "vitest";
import { rawTarball } from "../../../../test/helpers/raw-tar.js";
import { readPackage, unsafeEntryPath } from "./package-reader.js";

const GOOD = [
  { name: "package/package.json", body: '{"name":"x","version":"1.0.0"}' },
  { name: "package/README.md", body: "# x" },
];

describe("readPackage", () => {
  it("reads the files under package/", async () => {
    const files = await readPackage(rawTarball([{ name: "package/", type: "5" }, ...GOOD, { name: "package/docs/a.md", body: "a" }]));
    expect([...files.keys()].sort()).toEqual(["README.md", "docs/a.md", "package.json"]);
    expect(files.get("README.md")?.toString()).toBe("# x");
  });

  it.each([
    ["a '..' segment", { name: "package/../../evil.txt", body: "x" }, /"package\/..\/..\/evil.txt" has a '..' segment/],
    ["an absolute path", { name: "/tmp/evil.txt", body: "x" }, /has an absolute path/],
    ["a symlink", { name: "package/link", type: "2" as const, linkname: "/etc/passwd" }, /is a SymbolicLink to "\/etc\/passwd", not a file/],
    ["a hard link", { name: "package/hard", type: "1" as const, linkname: "package/README.md" }, /is a Link/],
    ["a path outside package/", { name: "other/file", body: "x" }, /a path outside package\//],
  ])("refuses the whole package for %s, even after good entries", async (_what, bad, message) => {
    await expect(readPackage(rawTarball([...GOOD, bad]))).rejects.toMatchObject({ code: "unsafe_package", message: expect.stringMatching(message) });
  });

  it("refuses bytes that are not a tarball, and packages past the caps", async () => {
    await expect(readPackage(Buffer.from("not a tarball at all"))).rejects.toMatchObject({ code: "invalid_package" });
    await expect(readPackage(rawTarball(GOOD), { maxTarballBytes: 10, maxTotalBytes: 1e6, maxEntries: 10 })).rejects.toThrow(/the cap is 10/);
    await expect(readPackage(rawTarball(GOOD), { maxTarballBytes: 1e6, maxTotalBytes: 5, maxEntries: 10 })).rejects.toThrow(/more than 5 bytes/);
    await expect(readPackage(rawTarball(GOOD), { maxTarballBytes: 1e6, maxTotalBytes: 1e6, maxEntries: 1 })).rejects.toThrow(/more than 1 entries/);
  });
});

describe("unsafeEntryPath", () => {
  it("accepts plain paths under package/ only", () => {
    expect(unsafeEntryPath("package/plugin.wasm")).toBeNull();
    expect(unsafeEntryPath("package\\..\\x")).toMatch(/'\.\.'/);
    expect(unsafeEntryPath("C:/x")).toMatch(/absolute/);
  });
});
