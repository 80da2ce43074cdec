import { describe, expect, it } from "vitest";
import { parsePackageSpec, savedRange } from "./package-spec.js";

describe("parsePackageSpec", () => {
  it("reads a bare name as the latest tag, and splits ranges, versions and tags as npm does", () => {
    expect(parsePackageSpec("web-search")).toMatchObject({ name: "web-search", scope: null, fetchSpec: "latest", type: "tag" });
    expect(parsePackageSpec("web-search@^1.2")).toMatchObject({ name: "web-search", fetchSpec: "^1.2", type: "range" });
    expect(parsePackageSpec("time@1.0.0")).toMatchObject({ fetchSpec: "1.0.0", type: "version" });
    expect(parsePackageSpec("time@beta")).toMatchObject({ fetchSpec: "beta", type: "tag" });
    expect(parsePackageSpec("@me/tool@>=1 <2")).toMatchObject({ name: "@me/tool", scope: "@me", fetchSpec: ">=1 <2", type: "range" });
  });

  it("refuses names npm refuses and specs that are neither", () => {
    expect(() => parsePackageSpec("Web-Search")).toThrow(expect.objectContaining({ code: "invalid_spec" }));
    expect(() => parsePackageSpec("../evil")).toThrow(expect.objectContaining({ code: "invalid_spec" }));
    expect(() => parsePackageSpec("time@not a thing!")).toThrow(/neither a version, a semver range/);
  });

  it("saves a range as given, and ^VERSION for a tag or an exact version (npm's save-prefix)", () => {
    expect(savedRange(parsePackageSpec("time@~1.2.0"), "1.2.5")).toBe("~1.2.0");
    expect(savedRange(parsePackageSpec("time"), "1.4.0")).toBe("^1.4.0");
    expect(savedRange(parsePackageSpec("time@1.4.0"), "1.4.0")).toBe("^1.4.0");
  });
});
