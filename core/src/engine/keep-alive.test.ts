import { describe, expect, it } from "vitest";
import { formatKeepAlive, parseKeepAlive } from "./keep-alive.js";

describe("parseKeepAlive", () => {
  it("reads Ollama's durations and numbers", () => {
    expect(parseKeepAlive("5m")).toBe(300_000);
    expect(parseKeepAlive("1h30m")).toBe(5_400_000);
    expect(parseKeepAlive("10s")).toBe(10_000);
    expect(parseKeepAlive("250ms")).toBe(250);
    expect(parseKeepAlive(30)).toBe(30_000);
    expect(parseKeepAlive("30")).toBe(30_000);
    expect(parseKeepAlive(0)).toBe(0);
    expect(parseKeepAlive("0")).toBe(0);
    expect(parseKeepAlive(-1)).toBeNull();
    expect(parseKeepAlive("-1")).toBeNull();
    expect(parseKeepAlive("-1m")).toBeNull();
  });

  it("refuses anything else, naming the param", () => {
    for (const bad of ["soon", "5 minutes", "5d", "", true, {}]) {
      expect(() => parseKeepAlive(bad, "keep_alive")).toThrow(expect.objectContaining({ param: "keep_alive", status: 400 }));
    }
  });

  it("formats for people", () => {
    expect(formatKeepAlive(300_000)).toBe("5m");
    expect(formatKeepAlive(10_000)).toBe("10s");
    expect(formatKeepAlive(null)).toBe("forever");
  });
});
