/** web-search with SearXNG: the 1.0 behaviour, kept for a config that has only `url`, and for `provider=searxng`. */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startProvider, webSearchHosts, type ProviderServer, type Received } from "./test-support.js";

let server: ProviderServer;
let base: string;
const hosts = webSearchHosts();
const load = hosts.load;

/** Canned SearXNG results: 25 of them, the third without `content`. */
const RESULTS = Array.from({ length: 25 }, (_, i) => ({
  title: `Result ${i + 1}`,
  url: `https://example.org/${i + 1}`,
  ...(i === 2 ? {} : { content: `Snippet <b>${i + 1}</b> – café` }),
  engine: "duckduckgo",
  score: 1 / (i + 1),
}));

/** A SearXNG-shaped server: /search and /searx/search, 403 without format=json (as SearXNG does). */
function searxng(req: Received, res: http.ServerResponse): void {
  if (req.path !== "/search" && req.path !== "/searx/search") {
    res.writeHead(404, { "content-type": "text/plain" }).end("Not Found");
    return;
  }
  const q = req.params.get("q");
  if (req.params.get("format") !== "json" || q === "forbidden") {
    res.writeHead(403, { "content-type": "text/html" }).end("<html><body>403 Forbidden</body></html>");
  } else if (q === "boom") {
    res.writeHead(502, { "content-type": "text/plain" }).end("Bad Gateway:   upstream\n engines down");
  } else if (q === "html") {
    res.writeHead(200, { "content-type": "text/html" }).end("<!doctype html><title>SearXNG</title>");
  } else if (q === "noresults") {
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ query: q, number_of_results: 0 }));
  } else {
    const answers = ["42 is the answer", { answer: "Paris", url: "https://en.wikipedia.org/wiki/Paris" }];
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ query: q, results: RESULTS, answers }));
  }
}

function lastRequest() {
  const last = server.last();
  return { path: last.path, params: last.params, accept: last.headers.accept };
}

beforeAll(async () => {
  server = await startProvider(searxng);
  base = server.base;
});

afterAll(async () => {
  await hosts.dispose();
  await server?.close();
});

describe("web-search with SearXNG", () => {
  it("maps SearXNG results in order, cut at 5 by default, with answers (a 1.0 config: url alone means SearXNG)", async () => {
    const host = await load({ url: base });
    const out = (await host.callTool("search", { query: "wasm plugins" })) as { query: string; results: unknown[]; answers: string[] };
    expect(out.query).toBe("wasm plugins");
    expect(out.results).toEqual([
      { title: "Result 1", url: "https://example.org/1", snippet: "Snippet <b>1</b> – café" },
      { title: "Result 2", url: "https://example.org/2", snippet: "Snippet <b>2</b> – café" },
      { title: "Result 3", url: "https://example.org/3", snippet: "" },
      { title: "Result 4", url: "https://example.org/4", snippet: "Snippet <b>4</b> – café" },
      { title: "Result 5", url: "https://example.org/5", snippet: "Snippet <b>5</b> – café" },
    ]);
    expect(out.answers).toEqual(["42 is the answer", "Paris"]);
    const req = lastRequest();
    expect(req.path).toBe("/search");
    expect(req.accept).toBe("application/json");
    expect(Object.fromEntries(req.params)).toEqual({ q: "wasm plugins", format: "json", language: "auto" });
  });

  it("honours max_results, language, time_range, categories and the configured safesearch", async () => {
    const host = await load({ provider: "searxng", url: base, language: "de", safesearch: 2 });
    const out = (await host.callTool("search", { query: "x", max_results: 20, time_range: "week", categories: "news" })) as { results: { url: string }[] };
    expect(out.results.map((r) => r.url)).toEqual(RESULTS.slice(0, 20).map((r) => r.url));
    expect(Object.fromEntries(lastRequest().params)).toEqual({ q: "x", format: "json", language: "de", safesearch: "2", time_range: "week", categories: "news" });
    await host.callTool("search", { query: "x", max_results: 1, language: "fr" });
    expect(lastRequest().params.get("language")).toBe("fr");
  });

  it("percent-encodes a non-ASCII query as UTF-8 and the server receives it intact", async () => {
    const host = await load({ url: base });
    const query = "grüße & 世界 🎉 a+b=c/d?e#f 100%";
    const out = (await host.callTool("search", { query })) as { query: string };
    expect(out.query).toBe(query);
    expect(lastRequest().params.get("q")).toBe(query);
  });

  it("keeps the path of a base URL such as /searx, trailing slash or not", async () => {
    for (const url of [`${base}/searx`, `${base}/searx/`]) {
      const host = await load({ url });
      await expect(host.callTool("search", { query: "kept" })).resolves.toMatchObject({ results: expect.any(Array) });
      expect(lastRequest().path).toBe("/searx/search");
    }
  });

  it("explains a 403: json is not enabled in search.formats", async () => {
    const host = await load({ url: base });
    await expect(host.callTool("search", { query: "forbidden" })).rejects.toMatchObject({
      code: "plugin_error",
      message: expect.stringMatching(/HTTP 403.*settings\.yml.*search\.formats.*json/),
    });
  });

  it("reports another status with an excerpt of the body", async () => {
    const host = await load({ url: base });
    await expect(host.callTool("search", { query: "boom" })).rejects.toMatchObject({
      message: expect.stringContaining("answered HTTP 502: Bad Gateway: upstream engines down"),
    });
  });

  it("says so when the body is not JSON or has no results array", async () => {
    const host = await load({ url: base });
    await expect(host.callTool("search", { query: "html" })).rejects.toMatchObject({ message: expect.stringMatching(/is not JSON.*<!doctype html>/) });
    await expect(host.callTool("search", { query: "noresults" })).rejects.toMatchObject({ message: expect.stringContaining('without a "results" array') });
  });

  it("tells how to set the url when provider=searxng has none", async () => {
    const host = await load({ provider: "searxng" });
    await expect(host.callTool("search", { query: "x" })).rejects.toMatchObject({
      code: "plugin_error",
      message: expect.stringContaining("set it with: shimmy plugin config web-search url=http://127.0.0.1:8888"),
    });
  });

  it("relays the host's message when the request fails", async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const host = await load({ url: `http://127.0.0.1:${port}` });
    await expect(host.callTool("search", { query: "x" })).rejects.toMatchObject({
      message: expect.stringMatching(new RegExp(`request to http://127\\.0\\.0\\.1:${port} failed: .*ECONNREFUSED`)),
    });
  });
});
