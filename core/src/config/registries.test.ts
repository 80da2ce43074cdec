import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readConfigFile } from "./config-file.js";
import { DEFAULT_REGISTRY, pinRegistryKeys, registryFor, registrySettings, registryToken } from "./registries.js";

let home: string;
beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), "shimmy-registries-"));
});
afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

describe("registrySettings", () => {
  it("takes --registry, else a scope's registry, else SHIMMY_REGISTRY, else registries.default, else the default", () => {
    expect(registryFor(registrySettings(home, {}), null)).toEqual({ url: DEFAULT_REGISTRY, explicit: false });
    fs.writeFileSync(path.join(home, "config.json"), JSON.stringify({ registries: { default: "https://d.example/", scopes: { "@me": "https://me.example" } } }));
    expect(registryFor(registrySettings(home, {}), null)).toEqual({ url: "https://d.example", explicit: false });
    expect(registryFor(registrySettings(home, { SHIMMY_REGISTRY: "http://e.example" }), null)).toEqual({ url: "http://e.example", explicit: false });
    expect(registryFor(registrySettings(home, { SHIMMY_REGISTRY: "http://e.example" }), "@me")).toEqual({ url: "https://me.example", explicit: true });
    expect(registryFor(registrySettings(home, {}, "http://f.example/"), "@me")).toEqual({ url: "http://f.example", explicit: true });
  });

  it("refuses a registry that is not an http(s) URL, naming where it came from", () => {
    expect(() => registrySettings(home, { SHIMMY_REGISTRY: "ftp://x" })).toThrow(/SHIMMY_REGISTRY must be an http or https URL/);
    expect(() => registrySettings(home, {}, "nope")).toThrow(/--registry must be a registry URL/);
  });
});

describe("pinRegistryKeys", () => {
  it("records keys under registries.keys, keeping every other key of config.json, and the file stays valid", async () => {
    fs.writeFileSync(path.join(home, "config.json"), JSON.stringify({ port: 1234, registries: { default: "https://d.example" } }));
    await pinRegistryKeys(home, "https://d.example", [{ keyid: "SHA256:k", key: "AAAA" }]);
    const config = readConfigFile(home) as { port: number; registries: { default: string; keys: Record<string, { keyid: string; pinnedAt: string }[]> } };
    expect(config.port).toBe(1234);
    expect(config.registries.default).toBe("https://d.example");
    expect(config.registries.keys["https://d.example"]![0]).toMatchObject({ keyid: "SHA256:k", pinnedAt: expect.any(String) });
    expect(registrySettings(home, {}).keys["https://d.example"]).toHaveLength(1);
  });

  it("reads a registry's read token from secrets.json", () => {
    fs.writeFileSync(path.join(home, "secrets.json"), JSON.stringify({ registries: { "https://d.example": { token: "t0k" } } }));
    expect(registryToken(home, "https://d.example")).toBe("t0k");
    expect(registryToken(home, "https://other.example")).toBeUndefined();
  });
});
