/** web-search with provider=brave, against a local server answering as the Brave Search API does. */
import type http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startProvider, webSearchHosts, type ProviderServer, type Received, type SearchOutput } from "./test-support.js";

const KEY = "BSA-test-key";
let server: ProviderServer;
const hosts = webSearchHosts();

/** One web result as Brave sends it (most of its fields are not read). */
function braveResult(i: number) {
  return {
    title: `Wasm <strong>result</strong> ${i}`,
    url: `https://example.com/${i}`,
    is_source_local: false,
    is_source_both: false,
    description: `<strong>WebAssembly</strong> &amp; WASI, part ${i} &#x2013; it&#39;s fast.`,
    page_age: "2024-05-01T00:00:00",
    profile: { name: "Example", url: `https://example.com/${i}`, long_name: "example.com", img: "https://imgs.search.brave.com/x.png" },
    language: "en",
    family_friendly: true,
    type: "search_result",
    subtype: "generic",
    meta_url: { scheme: "https", netloc: "example.com", hostname: "example.com", favicon: "https://imgs.search.brave.com/f.png", path: `› ${i}` },
    age: "May 1, 2024",
  };
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

function braveError(status: number, code: string, detail: string) {
  return { type: "ErrorResponse", error: { id: "1f2e3d", status, code, detail, meta: { component: "api" } }, time: 1714550400 };
}

/** Brave's `/res/v1/web/search`: the key in X-Subscription-Token, `web.results` in the answer. */
function brave(req: Received, res: http.ServerResponse): void {
  if (req.method !== "GET" || req.path !== "/res/v1/web/search") return json(res, 404, braveError(404, "RESOURCE_NOT_FOUND", "Resource not found."));
  if (req.headers["x-subscription-token"] !== KEY) return json(res, 401, braveError(401, "SUBSCRIPTION_TOKEN_INVALID", "The provided subscription token is invalid."));
  const q = req.params.get("q") ?? "";
  if (q === "quota") return json(res, 429, braveError(429, "RATE_LIMITED", "Request rate limit exceeded for plan."));
  if (q === "invalid") return json(res, 422, braveError(422, "VALIDATION", "Unable to validate request parameter(s)."));
  const count = Number(req.params.get("count") ?? 20);
  const body: Record<string, unknown> = { query: { original: q, show_strict_warning: false, is_navigational: false, country: "us", more_results_available: true }, mixed: { type: "mixed", main: [] }, type: "search" };
  // Brave leaves `web` out when it has no web results.
  if (q !== "nothing") body.web = { type: "search", results: Array.from({ length: count }, (_, i) => braveResult(i + 1)), family_friendly: true };
  json(res, 200, body);
}

beforeAll(async () => {
  server = await startProvider(brave);
});

afterAll(async () => {
  await hosts.dispose();
  await server?.close();
});

describe("web-search with Brave", () => {
  it("sends the key in X-Subscription-Token and maps web.results, marks and entities taken out", async () => {
    const host = await hosts.load({ provider: "brave", url: server.base, brave_api_key: KEY });
    const out = (await host.callTool("search", { query: "wasm wasi", max_results: 2 })) as SearchOutput;
    expect(out).toEqual({
      query: "wasm wasi",
      results: [
        { title: "Wasm result 1", url: "https://example.com/1", snippet: "WebAssembly & WASI, part 1 – it's fast." },
        { title: "Wasm result 2", url: "https://example.com/2", snippet: "WebAssembly & WASI, part 2 – it's fast." },
      ],
    });
    const req = server.last();
    expect(req.headers.accept).toBe("application/json");
    expect(Object.fromEntries(req.params)).toEqual({ q: "wasm wasi", count: "2" });
  });

  it("passes language, safesearch and time_range as Brave's search_lang, safesearch and freshness", async () => {
    const host = await hosts.load({ provider: "brave", url: `${server.base}/`, brave_api_key: KEY, language: "ja", safesearch: 0 });
    await host.callTool("search", { query: "x", time_range: "week" });
    expect(Object.fromEntries(server.last().params)).toEqual({ q: "x", count: "5", search_lang: "jp", safesearch: "off", freshness: "pw" });
    await host.callTool("search", { query: "x", language: "de-CH", time_range: "year" });
    expect(server.last().params.get("search_lang")).toBe("de");
    expect(server.last().params.get("freshness")).toBe("py");
    // A language Brave does not know is left out rather than refused with HTTP 422.
    await host.callTool("search", { query: "x", language: "xx" });
    expect(server.last().params.has("search_lang")).toBe(false);
  });

  it("answers no results when Brave sends no web section", async () => {
    const host = await hosts.load({ provider: "brave", url: server.base, brave_api_key: KEY });
    await expect(host.callTool("search", { query: "nothing" })).resolves.toEqual({ query: "nothing", results: [] });
  });

  it("says where to get a key when none is set, and when Brave refuses it", async () => {
    const none = await hosts.load({ provider: "brave", url: server.base });
    await expect(none.callTool("search", { query: "x" })).rejects.toMatchObject({
      code: "plugin_error",
      message: expect.stringContaining("Brave Search needs an API key: get a key at https://api-dash.search.brave.com, then: shimmy plugin config web-search brave_api_key=…"),
    });
    const wrong = await hosts.load({ provider: "brave", url: server.base, brave_api_key: "wrong" });
    await expect(wrong.callTool("search", { query: "x" })).rejects.toMatchObject({ message: expect.stringContaining("Brave Search refused the API key (HTTP 401)") });
  });

  it("explains a rate limit and relays Brave's own error detail", async () => {
    const host = await hosts.load({ provider: "brave", url: server.base, brave_api_key: KEY });
    await expect(host.callTool("search", { query: "quota" })).rejects.toMatchObject({ message: expect.stringContaining("too many requests (HTTP 429)") });
    await expect(host.callTool("search", { query: "invalid" })).rejects.toMatchObject({
      message: expect.stringContaining("Brave Search answered HTTP 422: Unable to validate request parameter(s)."),
    });
  });

  it("never sends the Brave key to a provider other than Brave", async () => {
    const host = await hosts.load({ provider: "tavily", url: server.base, brave_api_key: KEY, tavily_api_key: "tvly-other" });
    await expect(host.callTool("search", { query: "x" })).rejects.toMatchObject({ message: expect.stringContaining("Tavily answered HTTP 404") });
    const req = server.last();
    expect(req).toMatchObject({ method: "POST", path: "/search" });
    expect(JSON.stringify(req)).not.toContain(KEY);
  });
});
