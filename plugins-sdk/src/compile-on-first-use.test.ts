import { describe, expect, it } from "vitest";
import { compileOnFirstUse } from "./compile-on-first-use.js";

describe("compileOnFirstUse", () => {
  it("compiles nothing until first asked, then once, however often asked", () => {
    let compiles = 0;
    const validator = compileOnFirstUse(() => {
      compiles += 1;
      return (value: unknown) => value === 42;
    });
    expect(compiles).toBe(0);
    expect(validator()(42)).toBe(true);
    expect(validator()(41)).toBe(false);
    expect(validator()).toBe(validator());
    expect(compiles).toBe(1);
  });
});
