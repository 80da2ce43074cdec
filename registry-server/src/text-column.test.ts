import { describe, expect, it } from "vitest";
import { TextColumn } from "./text-column.js";

function marks(items: string[][], term: string, partScore = 1, exactScore = 2): number[] {
  const best = new Float64Array(items.length);
  new TextColumn(items).mark(term, best, partScore, exactScore);
  return [...best];
}

describe("TextColumn", () => {
  it("finds a term inside any item of an entry, and tells an equal item apart", () => {
    const items = [["weather"], ["clock", "weathering"], [], ["time"], ["heat", "weather"]];
    expect(marks(items, "weather")).toEqual([2, 1, 0, 0, 2]);
    expect(marks(items, "eat")).toEqual([1, 1, 0, 0, 1]);
    expect(marks(items, "zz")).toEqual([0, 0, 0, 0, 0]);
  });

  it("never matches across the end of one item into the next, in the same entry or the next one", () => {
    // "clock" + "time" and "time" + "heat" are adjacent in the joined text.
    expect(marks([["clock"], ["time"], ["heat"]], "kti")).toEqual([0, 0, 0]);
    expect(marks([["clock", "time"]], "ckti")).toEqual([0]);
    expect(marks([["ab"], ["ab"], ["abab"]], "bab")).toEqual([0, 0, 1]);
  });

  it("counts equal items only when the part score is 0", () => {
    expect(marks([["alice"], ["alicea"], ["bob", "alice"]], "alice", 0, 1)).toEqual([1, 0, 1]);
  });

  it("treats the empty term as inside every item and equal to empty ones", () => {
    expect(marks([["a"], [""], []], "", 0, 1)).toEqual([0, 1, 0]);
    expect(marks([["a"], [""], []], "", 1, 2)).toEqual([1, 2, 0]);
  });
});
