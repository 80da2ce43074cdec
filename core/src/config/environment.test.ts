import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { colorFromEnv, DEFAULT_SERVER_URL, modelPathsFromEnv, serverTarget, shimmyHome, shimmyHomeFromEnv, testPluginStartMs } from "./environment.js";

describe("shimmyHome", () => {
  it("resolves SHIMMY_HOME against cwd and defaults it to ~/.shimmy", () => {
    expect(shimmyHomeFromEnv({ SHIMMY_HOME: "rel" }, "/w")).toBe("/w/rel");
    expect(shimmyHomeFromEnv({ HOME: "/h" }, "/w")).toBe("/h/.shimmy");
    expect(shimmyHomeFromEnv({ USERPROFILE: "/u" }, "/w")).toBe("/u/.shimmy");
    expect(shimmyHomeFromEnv({}, "/w")).toBeNull();
  });

  it("falls back to the operating system's home folder where the environment names none", () => {
    expect(shimmyHome({ SHIMMY_HOME: "/s" }, "/w")).toBe("/s");
    expect(shimmyHome({ SHIMMY_HOME: " ", HOME: "/h" }, "/w")).toBe("/h/.shimmy");
    expect(shimmyHome({}, "/w")).toBe(path.join(os.homedir(), ".shimmy"));
  });
});

describe("modelPathsFromEnv", () => {
  it("splits SHIMMY_MODEL_PATHS on the delimiter and drops blanks", () => {
    expect(modelPathsFromEnv({ SHIMMY_MODEL_PATHS: "/a:: :b.gguf" }, ":")).toEqual(["/a", "b.gguf"]);
    expect(modelPathsFromEnv({}, ":")).toEqual([]);
  });
});

describe("serverTarget", () => {
  it("takes the flags, else SHIMMY_URL and SHIMMY_API_KEY, else the default address and no key", () => {
    expect(serverTarget({ url: "http://a", apiKey: "k" }, { SHIMMY_URL: "http://b", SHIMMY_API_KEY: "e" })).toEqual({ url: "http://a", apiKey: "k" });
    expect(serverTarget({}, { SHIMMY_URL: "http://b", SHIMMY_API_KEY: "e" })).toEqual({ url: "http://b", apiKey: "e" });
    expect(serverTarget({ url: "" }, { SHIMMY_URL: "" })).toEqual({ url: DEFAULT_SERVER_URL, apiKey: null });
  });
});

describe("colorFromEnv", () => {
  it("colours a terminal only, unless NO_COLOR or TERM=dumb; FORCE_COLOR decides when set", () => {
    expect(colorFromEnv({}, true)).toBe(true);
    expect(colorFromEnv({}, false)).toBe(false);
    expect(colorFromEnv({ NO_COLOR: "1" }, true)).toBe(false);
    expect(colorFromEnv({ NO_COLOR: "" }, true)).toBe(true);
    expect(colorFromEnv({ TERM: "dumb" }, true)).toBe(false);
    expect(colorFromEnv({ FORCE_COLOR: "1" }, false)).toBe(true);
    expect(colorFromEnv({ FORCE_COLOR: "", NO_COLOR: "1" }, false)).toBe(true);
    expect(colorFromEnv({ FORCE_COLOR: "0" }, true)).toBe(false);
    expect(colorFromEnv({ FORCE_COLOR: "false" }, true)).toBe(false);
  });
});

describe("testPluginStartMs", () => {
  it("reads the test hook's start deadline: a positive whole number of ms, else none", () => {
    expect(testPluginStartMs({ SHIMMY_TEST_PLUGIN_START_MS: "3000" })).toBe(3000);
    for (const value of [undefined, "", " ", "0", "-5", "1.5", "soon"]) expect(testPluginStartMs({ SHIMMY_TEST_PLUGIN_START_MS: value })).toBeNull();
  });
});
