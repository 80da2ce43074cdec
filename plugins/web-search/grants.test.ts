/**
 * What web-search may reach for each provider: the permissions the user approves (and the host
 * grants) are `{config.url}` with the config schema's defaults filled in, so each provider reaches
 * its own origin only, and a configured url replaces it.
 */
import type { PluginManifest } from "@shimmy/plugin-sdk";
import { beforeAll, describe, expect, it } from "vitest";
import { resolvePermissions, widening } from "../../core/src/plugins/store/permissions.js";
import { withConfigDefaults } from "../../core/src/plugins/store/plugin-config.js";
import { webSearchHosts } from "./test-support.js";

let manifest: PluginManifest;
const net = (config: Record<string, unknown>) => resolvePermissions(manifest, config, "/home/me").granted.net;

beforeAll(async () => {
  manifest = await webSearchHosts().manifest();
});

describe("web-search grants", () => {
  it("reaches DuckDuckGo's HTML endpoint and nothing else when nothing is configured", () => {
    expect(withConfigDefaults(manifest, {})).toEqual({ provider: "duckduckgo", url: "https://html.duckduckgo.com", language: "auto" });
    expect(net({})).toEqual(["https://html.duckduckgo.com"]);
    expect(net({ provider: "duckduckgo" })).toEqual(["https://html.duckduckgo.com"]);
  });

  it("reaches only the chosen provider's API origin", () => {
    expect(net({ provider: "brave", brave_api_key: "k" })).toEqual(["https://api.search.brave.com"]);
    expect(net({ provider: "tavily", tavily_api_key: "k" })).toEqual(["https://api.tavily.com"]);
  });

  it("reaches only a configured url, whatever the provider; a url alone is a 1.0 SearXNG config", () => {
    expect(net({ provider: "brave", url: "http://127.0.0.1:8080/" })).toEqual(["http://127.0.0.1:8080"]);
    expect(withConfigDefaults(manifest, { url: "http://127.0.0.1:8888" })).toMatchObject({ provider: "searxng", url: "http://127.0.0.1:8888" });
    expect(net({ url: "https://search.example.org/searx" })).toEqual(["https://search.example.org"]);
  });

  it("reaches nothing for SearXNG until its url is set, and says which setting is missing", () => {
    const searxng = resolvePermissions(manifest, { provider: "searxng" }, "/home/me");
    expect(searxng.granted.net).toEqual([]);
    expect(searxng.unset).toEqual([{ pattern: "{config.url}", keys: ["url"] }]);
  });

  it("asks again when switching provider: the new origin is a widening, the old one is dropped", () => {
    const approved = resolvePermissions(manifest, {}, "/home/me").granted;
    const brave = resolvePermissions(manifest, { provider: "brave" }, "/home/me").granted;
    expect(widening(approved, brave)).toEqual(["net https://api.search.brave.com"]);
    expect(brave.net).not.toContain("https://html.duckduckgo.com");
  });
});
