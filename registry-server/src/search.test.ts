import { describe, expect, it } from "vitest";
import { SearchIndex, searchPackages } from "./search.js";
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

describe("SearchIndex", () => {
  it("finds words inside names, keywords and descriptions, scored by where they match", () => {
    const index = new SearchIndex();
    for (const record of [pkg("weather", "", []), pkg("weatherly", "", []), pkg("a", "", ["weather"]), pkg("b", "", ["weathers"]), pkg("c", "Rain and WEATHER", []), pkg("d", "wea", ["ther"])]) {
      index.set(record);
    }
    const found = index.search({ text: "Weather" }, "http://r");
    expect(found.objects.map((o) => [o.package.name, o.searchScore])).toEqual([
      ["weather", 4],
      ["weatherly", 2],
      ["a", 1.5],
      ["b", 1],
      ["c", 0.5],
    ]);
    expect(found.objects.map((o) => o.score.final)).toEqual([1, 0.5, 0.375, 0.25, 0.125]);
    expect(index.search({ text: "eath" }, "http://r").total).toBe(5);
  });

  it("knows author: and maintainer: as the owner, exactly", () => {
    const index = new SearchIndex();
    index.set({ ...pkg("clock", "", []), owner: "bob" });
    index.set(pkg("time", "", []));
    expect(index.search({ text: "author:bob" }, "http://r").objects.map((o) => o.package.name)).toEqual(["clock"]);
    expect(index.search({ text: "maintainer:alice time" }, "http://r").objects.map((o) => [o.package.name, o.searchScore])).toEqual([["time", 5]]);
    expect(index.search({ text: "author:bo" }, "http://r").total).toBe(0);
  });

  it("answers as a plain scan of every package would, after thousands of publishes in any order", () => {
    const words = ["weather", "clock", "search", "files", "notes", "math", "maps", "chat"];
    const word = (i: number) => words[i % words.length]!;
    const spec = (i: number, round: number) => {
      const record = pkg(`${word(i * 7)}-${word(i * 3 + round)}-${i}`, `A plugin for ${word(i + round)} and ${word(i * 5)}`, [word(i * 11 + round), word(i + 2)]);
      return { ...record, owner: i % 3 === 0 ? "bob" : "alice" };
    };
    // Publish order unlike name order: blocks split, entries land in the middle of others.
    const order = Array.from({ length: 1500 }, (_, i) => (i * 769) % 1500);
    const live = new Map<string, PackageRecord>();
    const index = new SearchIndex();
    const publish = (record: PackageRecord) => {
      index.set(record);
      if (Object.keys(record.versions).length > 0) live.set(record.name, record);
      else live.delete(record.name);
    };
    for (const i of order) publish(spec(i, 0));
    for (const i of order.slice(0, 400)) publish(spec(i, 1)); // republished: new description and keywords
    for (const i of order.slice(400, 450)) publish({ ...spec(i, 0), versions: {}, distTags: {} }); // no version left: not found

    for (const text of ["weather", "wea", "clock-1", "weather-clock-8", "math plugin", "keywords:maps,chat", "author:bob notes", "", "zz"]) {
      const expected = reference([...live.values()], text);
      const names: string[] = [];
      let total = 0;
      for (let from = 0; from === 0 || from < total; from += 250) {
        const page = index.search({ text, size: 250, from }, "http://r");
        total = page.total;
        names.push(...page.objects.map((o) => `${o.package.name} ${o.searchScore}`));
      }
      expect(total, text).toBe(expected.length);
      expect(names, text).toEqual(expected);
    }
  });
});

/** The ranking rules as a plain scan of `records`: `NAME SCORE` by score, then name. */
function reference(records: PackageRecord[], text: string): string[] {
  const terms = text.toLowerCase().split(/\s+/).filter(Boolean);
  const scored = records.map((record) => {
    const latest = record.versions[record.distTags.latest!]!.packageJson;
    const name = record.name.toLowerCase();
    const description = String(latest.description).toLowerCase();
    const keywords = (latest.keywords as string[]).map((k) => k.toLowerCase());
    let score = 0;
    for (const term of terms) {
      let best = 0;
      if (term.startsWith("keywords:")) best = term.slice(9).split(",").some((k) => keywords.includes(k)) ? 1 : 0;
      else if (term.startsWith("author:")) best = record.owner === term.slice(7) ? 1 : 0;
      else best = name === term ? 4 : name.includes(term) ? 2 : keywords.includes(term) ? 1.5 : keywords.some((k) => k.includes(term)) ? 1 : description.includes(term) ? 0.5 : 0;
      score = best === 0 ? -Infinity : score + best;
    }
    return { name: record.name, score: terms.length === 0 ? 1 : score };
  });
  return scored
    .filter((s) => s.score > 0)
    .sort((a, b) => b.score - a.score || (a.name < b.name ? -1 : 1))
    .map((s) => `${s.name} ${s.score}`);
}
