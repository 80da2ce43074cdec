import { describe, expect, it } from "vitest";
import { editDistance, isValidName, parsePackagePath, splitNamePath, tarballPath, tooSimilar, versionOfTarball } from "./names.js";

describe("parsePackagePath", () => {
  it("reads plain, scoped and escaped-scope packument paths", () => {
    expect(parsePackagePath("/time")).toEqual({ name: "time" });
    expect(parsePackagePath("/@alice/clock")).toEqual({ name: "@alice/clock" });
    expect(parsePackagePath("/@alice%2fclock")).toEqual({ name: "@alice/clock" });
    expect(parsePackagePath("/@alice%2Fclock")).toEqual({ name: "@alice/clock" });
  });

  it("reads tarball paths", () => {
    expect(parsePackagePath("/time/-/time-1.0.0.tgz")).toEqual({ name: "time", file: "time-1.0.0.tgz" });
    expect(parsePackagePath("/@alice/clock/-/clock-1.0.0.tgz")).toEqual({ name: "@alice/clock", file: "clock-1.0.0.tgz" });
    expect(parsePackagePath("/@alice%2fclock/-/clock-1.0.0.tgz")).toEqual({ name: "@alice/clock", file: "clock-1.0.0.tgz" });
  });

  it("returns null for anything that names no package", () => {
    for (const bad of ["/", "/Time", "/.hidden", "/_x", "/a/b", "/time/-/x.zip", "/%E0%A4%A", "/@alice", "/time/-/../x.tgz"]) expect(parsePackagePath(bad)).toBeNull();
  });
});

describe("splitNamePath", () => {
  it("takes two segments for a scoped name and one otherwise, and refuses an invalid name", () => {
    expect(splitNamePath("@alice/clock/v/1.0.0")).toEqual({ name: "@alice/clock", tail: ["v", "1.0.0"] });
    expect(splitNamePath("time")).toEqual({ name: "time", tail: [] });
    expect(splitNamePath("@alice")).toBeNull();
    expect(splitNamePath("Time/-/x.tgz")).toBeNull();
  });
});

describe("names", () => {
  it("follows npm's rules for new names", () => {
    expect(isValidName("web-search")).toBe(true);
    expect(isValidName("@shimmy/web-search")).toBe(true);
    expect(isValidName("Web-Search")).toBe(false);
    expect(isValidName("a".repeat(215))).toBe(false);
  });

  it("maps tarball file names to versions and back", () => {
    expect(tarballPath("@alice/clock", "1.2.3-rc.1")).toBe("/@alice/clock/-/clock-1.2.3-rc.1.tgz");
    expect(versionOfTarball("@alice/clock", "clock-1.2.3-rc.1.tgz")).toBe("1.2.3-rc.1");
    expect(versionOfTarball("time", "times-1.0.0.tgz")).toBeNull();
  });
});

describe("tooSimilar", () => {
  it("counts edits, ignoring scope and case", () => {
    expect(editDistance("calculator", "calculater")).toBe(1);
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(editDistance("kitten", "sitting", 1)).toBe(2);
    expect(tooSimilar("@evil/calculator", "calculator")).toBe(true);
    expect(tooSimilar("calculators", "calculator")).toBe(true);
    expect(tooSimilar("calcu1ator", "calculator")).toBe(true);
    expect(tooSimilar("time", "tim")).toBe(true);
    expect(tooSimilar("timer", "time")).toBe(true);
    expect(tooSimilar("timers", "time")).toBe(false);
    expect(tooSimilar("web-search", "http-get")).toBe(false);
  });
});
