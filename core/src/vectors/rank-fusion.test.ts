import { describe, expect, it } from "vitest";
import { fuseRanks, RRF_K } from "./rank-fusion.js";
import { keywordQuery, keywordScore } from "./keyword-query.js";

describe("fuseRanks", () => {
  it("ranks an item high in both lists above items high in one", () => {
    const fused = fuseRanks([[1, 2, 3], [3, 4, 1]]);
    expect(fused.map((f) => f.key)).toEqual([1, 3, 2, 4]);
  });

  it("scores 1 for first in every list, and by 1/(k + rank)", () => {
    const fused = fuseRanks([[7], [7]]);
    expect(fused).toEqual([{ key: 7, score: 1 }]);
    const single = fuseRanks([[1, 2]]);
    expect(single[1]!.score).toBeCloseTo((1 / (RRF_K + 2)) / (1 / (RRF_K + 1)), 10);
  });

  it("gives nothing for no lists", () => {
    expect(fuseRanks([])).toEqual([]);
  });
});

describe("keywordQuery", () => {
  it("quotes each word so FTS5 syntax in the text is plain words", () => {
    expect(keywordQuery('ada AND "lovelace" NEAR(x*)')).toBe('"ada" OR "and" OR "lovelace" OR "near" OR "x"');
    expect(keywordQuery("?!")).toBeNull();
  });

  it("maps BM25 ranks to 0..1, better ranks higher", () => {
    expect(keywordScore(0)).toBe(0);
    expect(keywordScore(-3)).toBeGreaterThan(keywordScore(-1));
    expect(keywordScore(-1e9)).toBeLessThan(1);
  });
});
