import { describe, expect, it } from "vitest";
import { searchPackages } from "./search.js";
import type { PackageRecord } from "./storage/storage.js";

function pkg(name: string, description: string, keywords: string[], plugin: Record<string, unknown> = {}): PackageRecord {
  return {
    name,
    owner: "alice",
    created: "2026-01-01T00:00:00.000Z",
    modified: "2026-01-01T00:00:00.000Z",
    distTags: { latest: "1.0.0" },
    versions: {
      "1.0.0": { packageJson: { name, version: "1.0.0", description, keywords }, plugin, integrity: "sha512-x", shasum: "x", size: 1, signatures: [], publishedAt: "2026-01-01T00:00:00.000Z", publisher: "alice" },
    },
  };
}

const records = [
  pkg("web-search", "Searches the web", ["search", "web"], { capabilities: [{ kind: "tool" }, { kind: "tool" }], permissions: { net: ["https://api.example.com"] } }),
  pkg("@alice/search-step", "A workflow step", ["workflow"], { capabilities: [{ kind: "step" }] }),
  pkg("time", "Dates and clocks", ["time"]),
];

describe("searchPackages", () => {
  it("ranks name matches first and adds capability kinds and permissions", () => {
    const result = searchPackages(records, { text: "search" }, "http://r", new Date(0));
    expect(result.objects.map((o) => o.package.name)).toEqual(["@alice/search-step", "web-search"]);
    expect(result.total).toBe(2);
    const web = result.objects[1]!.package;
    expect(web.capabilities).toEqual(["tool"]);
    expect(web.permissions).toEqual({ net: ["https://api.example.com"] });
    expect(result.objects[0]!.package.scope).toBe("alice");
    expect(result.time).toBe(new Date(0).toUTCString());
  });

  it("needs every word to match, knows keywords:, and pages", () => {
    expect(searchPackages(records, { text: "web search" }, "http://r").objects.map((o) => o.package.name)).toEqual(["web-search"]);
    expect(searchPackages(records, { text: "keywords:time" }, "http://r").objects.map((o) => o.package.name)).toEqual(["time"]);
    const page = searchPackages(records, { text: "", size: 1, from: 2 }, "http://r");
    expect(page.total).toBe(3);
    expect(page.objects).toHaveLength(1);
  });
});
