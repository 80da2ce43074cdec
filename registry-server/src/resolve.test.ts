import { describe, expect, it } from "vitest";
import { packument, pickVersion } from "./resolve.js";
import type { PackageRecord, VersionRecord } from "./storage/storage.js";

function version(v: string, extra: Partial<VersionRecord> = {}): VersionRecord {
  return {
    packageJson: { name: "clock", version: v, description: `clock ${v}`, _evil: true, dist: { tarball: "http://evil/" } },
    plugin: { name: "clock", version: v, capabilities: [{ kind: "tool" }] },
    integrity: "sha512-x",
    shasum: "abc",
    size: 1,
    signatures: [{ keyid: "SHA256:k", sig: "s" }],
    publishedAt: "2026-01-01T00:00:00.000Z",
    publisher: "alice",
    ...extra,
  };
}

const record: PackageRecord = {
  name: "clock",
  owner: "alice",
  created: "2026-01-01T00:00:00.000Z",
  modified: "2026-01-02T00:00:00.000Z",
  distTags: { latest: "1.1.0", beta: "2.0.0-beta.1" },
  versions: { "1.0.0": version("1.0.0"), "1.1.0": version("1.1.0"), "1.2.0": version("1.2.0", { deprecated: "broken" }), "2.0.0-beta.1": version("2.0.0-beta.1") },
};

describe("packument", () => {
  it("builds npm's document, with registry-owned fields never taken from package.json", () => {
    const doc = packument(record, "http://127.0.0.1:4873");
    expect(doc.description).toBe("clock 1.1.0");
    expect(doc.time["1.0.0"]).toBe("2026-01-01T00:00:00.000Z");
    const v = doc.versions["1.0.0"]!;
    expect(v._id).toBe("clock@1.0.0");
    expect(v._evil).toBeUndefined();
    expect(v.dist).toEqual({ tarball: "http://127.0.0.1:4873/clock/-/clock-1.0.0.tgz", integrity: "sha512-x", shasum: "abc", signatures: [{ keyid: "SHA256:k", sig: "s" }] });
    expect(v.shimmyPlugin.capabilities).toEqual([{ kind: "tool" }]);
    expect(doc.versions["1.2.0"]!.deprecated).toBe("broken");
  });
});

describe("pickVersion", () => {
  const doc = packument(record, "http://x");
  it("picks as npm-pick-manifest does", () => {
    expect(pickVersion(doc)).toBe("1.1.0");
    expect(pickVersion(doc, "beta")).toBe("2.0.0-beta.1");
    expect(pickVersion(doc, "^1.0.0")).toBe("1.1.0"); // latest satisfies, so latest
    expect(pickVersion(doc, ">=1.2.0 <2")).toBe("1.2.0"); // only a deprecated one matches
    expect(pickVersion(doc, "1.0.0")).toBe("1.0.0");
    expect(pickVersion(doc, "^3")).toBeNull();
    expect(pickVersion(doc, "nonsense tag")).toBeNull();
  });
});
