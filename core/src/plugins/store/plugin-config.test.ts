import type { PluginManifest } from "@shimmy/plugin-sdk";
import { describe, expect, it } from "vitest";
import { applyConfigAssignments, missingRequiredConfig, withConfigDefaults } from "./plugin-config.js";
import { resolvePermissions, widening } from "./permissions.js";

const manifest: Pick<PluginManifest, "name" | "config" | "permissions"> = {
  name: "web-search",
  config: {
    type: "object" as const,
    properties: {
      url: { type: "string" },
      safesearch: { type: "integer", enum: [0, 1, 2] },
      origins: { type: "array", items: { type: "string" } },
      verbose: { type: "boolean" },
      token: { type: "string", writeOnly: true },
    },
    required: ["url"],
  },
  permissions: { net: ["{config.url}", "{config.origins}"], fs: { read: ["~/notes"] } },
};

describe("applyConfigAssignments", () => {
  const empty = { plain: {}, secret: {} };

  it("reads each value by its declared type and keeps secrets apart", () => {
    const next = applyConfigAssignments(manifest, empty, ["url=http://127.0.0.1:8888", "safesearch=2", "origins=https://a.example, https://b.example", "verbose=true", "token=s3cret"]);
    expect(next.plain).toEqual({ url: "http://127.0.0.1:8888", safesearch: 2, origins: ["https://a.example", "https://b.example"], verbose: true });
    expect(next.secret).toEqual({ token: "s3cret" });
    expect(applyConfigAssignments(manifest, next, ['origins=["https://c.example"]', "token="]).plain.origins).toEqual(["https://c.example"]);
    expect(applyConfigAssignments(manifest, next, ["token="]).secret).toEqual({});
  });

  it("refuses unknown keys, bad types, schema violations and malformed assignments", () => {
    expect(() => applyConfigAssignments(manifest, empty, ["nope=1"])).toThrow(/has no setting "nope"; its settings are: url, safesearch, origins, verbose, token/);
    expect(() => applyConfigAssignments(manifest, empty, ["safesearch=abc"])).toThrow(/safesearch must be a number/);
    expect(() => applyConfigAssignments(manifest, empty, ["safesearch=7"])).toThrow(/config schema refuses it: \/safesearch must be equal to one of the allowed values/);
    expect(() => applyConfigAssignments(manifest, empty, ["verbose=yes"])).toThrow(/true or false/);
    expect(() => applyConfigAssignments(manifest, empty, ["url"])).toThrow(/is not key=value/);
  });

  it("allows configuring one key at a time; required keys are reported, not refused", () => {
    expect(applyConfigAssignments(manifest, empty, ["safesearch=1"]).plain).toEqual({ safesearch: 1 });
    expect(missingRequiredConfig(manifest, { safesearch: 1 })).toEqual(["url"]);
  });
});

describe("resolvePermissions and widening", () => {
  it("resolves templates and lists, reports unset keys, and finds what a change adds", () => {
    const before = resolvePermissions(manifest, {}, "/home/me");
    expect(before.granted).toEqual({ net: [], fs: { read: ["/home/me/notes"], write: [] } });
    expect(before.unset.map((u) => u.keys)).toEqual([["url"], ["origins"]]);
    const after = resolvePermissions(manifest, { url: "http://127.0.0.1:8888/searx", origins: ["https://a.example:443", "http://b.example:8080"] }, "/home/me");
    expect(after.granted.net).toEqual(["http://127.0.0.1:8888", "https://a.example", "http://b.example:8080"]);
    expect(widening(before.granted, after.granted)).toEqual(["net http://127.0.0.1:8888", "net https://a.example", "net http://b.example:8080"]);
    expect(widening(after.granted, before.granted)).toEqual([]);
  });
});

describe("withConfigDefaults", () => {
  // A setting whose default follows another one (web-search's url follows its provider).
  const chooser: Pick<PluginManifest, "config" | "permissions"> = {
    config: {
      type: "object",
      properties: { mode: { type: "string", enum: ["a", "b"], default: "a" }, endpoint: { type: "string" }, level: { type: "integer" } },
      required: ["level"],
      allOf: [
        { if: { properties: { mode: { const: "a" } }, required: ["mode"] }, then: { properties: { endpoint: { default: "https://a.example" } } } },
        { if: { properties: { mode: { const: "b" } }, required: ["mode"] }, then: { properties: { endpoint: { default: "https://b.example" } } } },
      ],
    },
    permissions: { net: ["{config.endpoint}"] },
  };

  it("fills property defaults and if/then defaults, keeps what is set, and leaves its argument alone", () => {
    const given = {};
    expect(withConfigDefaults(chooser, given)).toEqual({ mode: "a", endpoint: "https://a.example" });
    expect(given).toEqual({});
    expect(withConfigDefaults(chooser, { mode: "b" })).toEqual({ mode: "b", endpoint: "https://b.example" });
    expect(withConfigDefaults(chooser, { mode: "b", endpoint: "http://127.0.0.1:9" })).toEqual({ mode: "b", endpoint: "http://127.0.0.1:9" });
    // A value the schema refuses does not stop the defaults after it.
    expect(withConfigDefaults(chooser, { level: "high" })).toEqual({ level: "high", mode: "a", endpoint: "https://a.example" });
    expect(withConfigDefaults({}, { x: 1 })).toEqual({ x: 1 });
  });

  it("is what permissions are resolved with, so a default origin is approved like a typed one", () => {
    expect(resolvePermissions(chooser, {}, "/home/me").granted.net).toEqual(["https://a.example"]);
    expect(resolvePermissions(chooser, { mode: "b" }, "/home/me").granted.net).toEqual(["https://b.example"]);
    expect(resolvePermissions(manifest, {}, "/home/me").unset.map((u) => u.keys)).toEqual([["url"], ["origins"]]);
  });
});
