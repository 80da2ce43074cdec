import { describe, expect, it } from "vitest";
import { MAX_TIMER_MS, formatKeepAlive, parseKeepAlive, parseRetention } from "./duration.js";

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

  it("keeps a model for good when the keep-alive is past what a timer can wait (about 24.9 days)", () => {
    expect(parseKeepAlive(MAX_TIMER_MS / 1000 - 1)).toBe(MAX_TIMER_MS - 1000);
    for (const long of ["600h", "597h", 2_147_484, "2562047h", 9_223_369_200]) expect(parseKeepAlive(long)).toBeNull();
  });

  it("refuses absurd keep-alives naming the param, rather than an invalid date", () => {
    for (const absurd of [1e13, 1e300, "2562048h", "9".repeat(400), Number.POSITIVE_INFINITY, Number.NaN]) {
      expect(() => parseKeepAlive(absurd, "keep_alive")).toThrow(expect.objectContaining({ param: "keep_alive", status: 400, code: "invalid_parameter" }));
    }
  });

  it("formats for people", () => {
    expect(formatKeepAlive(300_000)).toBe("5m");
    expect(formatKeepAlive(10_000)).toBe("10s");
    expect(formatKeepAlive(null)).toBe("forever");
  });
});

describe("parseRetention", () => {
  it("reads days besides keep_alive's units, and -1 as for good", () => {
    expect(parseRetention("30d", "--response-ttl")).toBe(30 * 86_400_000);
    expect(parseRetention("1d12h", "--response-ttl")).toBe(36 * 3_600_000);
    expect(parseRetention("90m", "--response-ttl")).toBe(5_400_000);
    expect(parseRetention("250ms", "--response-ttl")).toBe(250);
    expect(parseRetention("-1", "--response-ttl")).toBeNull();
  });

  it("refuses 0 and anything that is no duration, naming the param", () => {
    for (const bad of ["0", 0, "soon", "5w", ""]) {
      expect(() => parseRetention(bad, "--response-ttl")).toThrow(expect.objectContaining({ param: "--response-ttl", status: 400 }));
    }
  });
});
