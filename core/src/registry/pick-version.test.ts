import { describe, expect, it } from "vitest";
import { parsePackageSpec } from "./package-spec.js";
import type { Packument, PackumentVersion } from "./packument.js";
import { pickVersion } from "./pick-version.js";

function version(v: string, extra: Partial<PackumentVersion> = {}): PackumentVersion {
  return { name: "clock", version: v, dist: { tarball: `http://r/clock/-/clock-${v}.tgz`, integrity: "sha512-x" }, shimmyPlugin: { shimmy: ">=0.1.0" }, ...extra };
}

const packument: Packument = {
  name: "clock",
  "dist-tags": { latest: "1.1.0", beta: "2.0.0-beta.1" },
  versions: {
    "1.0.0": version("1.0.0"),
    "1.1.0": version("1.1.0"),
    "1.2.0": version("1.2.0", { deprecated: "broken clock" }),
    "1.3.0": version("1.3.0", { shimmyPlugin: { shimmy: ">=9.0.0" } }),
    "2.0.0-beta.1": version("2.0.0-beta.1"),
  },
};
const pick = (spec: string, options = {}) => pickVersion(packument, parsePackageSpec(`clock${spec}`), { coreVersion: "0.1.0", ...options });

describe("pickVersion", () => {
  it("follows dist-tags: a bare name is latest, a tag may name a prerelease", () => {
    expect(pick("").version.version).toBe("1.1.0");
    expect(pick("@beta").version.version).toBe("2.0.0-beta.1");
  });

  it("prefers latest when it satisfies the range, as npm-pick-manifest does", () => {
    expect(pick("@^1").version.version).toBe("1.1.0");
    expect(pick("@1.0.0").version.version).toBe("1.0.0");
  });

  it("picks below a deprecated version and one made for another core, but notes them when nothing else fits", () => {
    expect(pick("@>=1.2.0 <2").version.version).toBe("1.2.0"); // 1.3.0 needs Shimmy 9: a deprecated one that runs is better
    expect(pick("@>=1.2.0 <2").deprecated).toBe("broken clock");
    const only = pick("@1.3.x");
    expect(only.version.version).toBe("1.3.0");
    expect(only.supportsCore).toBe(false);
  });

  it("never matches a prerelease with a plain range unless asked", () => {
    expect(() => pick("@^2")).toThrow(expect.objectContaining({ code: "no_matching_version" }));
    expect(pick("@^2.0.0-beta").version.version).toBe("2.0.0-beta.1");
    expect(pick("@^2", { includePrerelease: true }).version.version).toBe("2.0.0-beta.1");
  });

  it("says which versions and tags exist when nothing matches", () => {
    expect(() => pick("@^9")).toThrow('no version of clock matches "^9": no published version satisfies it. Versions: 1.0.0, 1.1.0, 1.2.0, 1.3.0, 2.0.0-beta.1; tags: latest → 1.1.0, beta → 2.0.0-beta.1');
    expect(() => pick("@nightly")).toThrow(/there is no dist-tag "nightly"/);
    expect(() => pick("@1.0.9")).toThrow(/that version was never published/);
  });
});
