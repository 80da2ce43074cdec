import { describe, expect, it } from "vitest";
import { ShimmyError } from "../errors.js";
import { checkFilter, matchesFilter } from "./filters.js";

const doc = { author: "ada", year: 1843, draft: false, tag: "math" };
const match = (filter: unknown) => matchesFilter(checkFilter(filter), doc);

describe("matchesFilter", () => {
  it.each([
    [{ type: "eq", key: "author", value: "ada" }, true],
    [{ type: "eq", key: "author", value: "bob" }, false],
    [{ type: "ne", key: "author", value: "bob" }, true],
    [{ type: "gt", key: "year", value: 1800 }, true],
    [{ type: "gte", key: "year", value: 1843 }, true],
    [{ type: "lt", key: "year", value: 1843 }, false],
    [{ type: "lte", key: "year", value: 1843 }, true],
    [{ type: "gt", key: "year", value: "1800" }, false],
    [{ type: "in", key: "tag", value: ["math", "poetry"] }, true],
    [{ type: "nin", key: "tag", value: ["math"] }, false],
    [{ type: "eq", key: "draft", value: false }, true],
    [{ type: "and", filters: [{ type: "eq", key: "author", value: "ada" }, { type: "gt", key: "year", value: 1900 }] }, false],
    [{ type: "or", filters: [{ type: "eq", key: "author", value: "bob" }, { type: "gt", key: "year", value: 1800 }] }, true],
  ])("%j → %s", (filter, expected) => {
    expect(match(filter)).toBe(expected);
  });

  it("never matches on a missing attribute, whatever the operator", () => {
    for (const type of ["eq", "ne", "gt", "gte", "lt", "lte"]) expect(match({ type, key: "missing", value: 1 })).toBe(false);
    expect(match({ type: "nin", key: "missing", value: [1] })).toBe(false);
  });
});

describe("checkFilter", () => {
  it.each([
    [{ type: "like", key: "a", value: 1 }, "filters.type"],
    [{ type: "eq", value: 1 }, "filters.key"],
    [{ type: "eq", key: "a", value: { x: 1 } }, "filters.value"],
    [{ type: "in", key: "a", value: 1 }, "filters.value"],
    [{ type: "gt", key: "a", value: true }, "filters.value"],
    [{ type: "and", filters: [] }, "filters.filters"],
    [{ type: "or", filters: [{ type: "eq", key: "a" }] }, "filters.filters.0.value"],
  ])("refuses %j naming %s", (filter, param) => {
    try {
      checkFilter(filter);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ShimmyError);
      expect((err as ShimmyError).param).toBe(param);
    }
  });
});
