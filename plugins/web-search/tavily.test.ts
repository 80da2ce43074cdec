/** web-search with provider=tavily, against a local server answering as Tavily's `/search` does. */
import type http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startProvider, webSearchHosts, type ProviderServer, type Received, type SearchOutput } from "./test-support.js";

const KEY = "tvly-dev-test-key";
let server: ProviderServer;
const hosts = webSearchHosts();

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

/** Tavily's key: `Authorization: Bearer …`, or `api_key` in the body as its older clients send it. */
function keyOf(req: Received, body: Record<string, unknown>): string | undefined {
  const auth = req.headers.authorization;
  if (auth?.startsWith("Bearer ")) return auth.slice(7);
  return typeof body.api_key === "string" ? body.api_key : undefined;
}

/** Tavily's `POST /search`: a JSON body, `results[]` of `{title, url, content, score, raw_content}`. */
function tavily(req: Received, res: http.ServerResponse): void {
  if (req.method !== "POST" || req.path !== "/search") return json(res, 404, { detail: "Not Found" });
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(req.body) as Record<string, unknown>;
  } catch {
    return json(res, 400, { detail: { error: "Invalid JSON body." } });
  }
  if (keyOf(req, body) !== KEY) return json(res, 401, { detail: { error: "Unauthorized: missing or invalid API key." } });
  const query = String(body.query ?? "");
  if (query === "credits") return json(res, 432, { detail: { error: "This request exceeds your plan's set usage limit. Please upgrade your plan or contact support@tavily.com" } });
  if (query === "") return json(res, 400, { detail: { error: "Query is missing." } });
  const max = Number(body.max_results ?? 5);
  json(res, 200, {
    query,
    follow_up_questions: null,
    answer: query === "capital of france" ? "Paris is the capital of France." : null,
    images: [],
    results: Array.from({ length: max }, (_, i) => ({
      title: `Tavily result ${i + 1}`,
      url: `https://example.net/${i + 1}`,
      content: `Content about ${query}, part ${i + 1}.`,
      score: 0.9 - i / 100,
      raw_content: null,
    })),
    response_time: 1.23,
    request_id: "123e4567-e89b-12d3-a456-426614174111",
  });
}

beforeAll(async () => {
  server = await startProvider(tavily);
});

afterAll(async () => {
  await hosts.dispose();
  await server?.close();
});

describe("web-search with Tavily", () => {
  it("posts the query as JSON with the key as a Bearer token and maps results", async () => {
    const host = await hosts.load({ provider: "tavily", url: server.base, tavily_api_key: KEY });
    const out = (await host.callTool("search", { query: "wasm runtimes", max_results: 3, time_range: "month" })) as SearchOutput;
    expect(out).toEqual({
      query: "wasm runtimes",
      results: [1, 2, 3].map((i) => ({ title: `Tavily result ${i}`, url: `https://example.net/${i}`, snippet: `Content about wasm runtimes, part ${i}.` })),
    });
    const req = server.last();
    expect(req.headers["content-type"]).toBe("application/json");
    expect(req.headers.authorization).toBe(`Bearer ${KEY}`);
    // The key travels in the header only.
    expect(JSON.parse(req.body)).toEqual({ query: "wasm runtimes", max_results: 3, search_depth: "basic", time_range: "month" });
  });

  it("gives Tavily's answer as a direct answer", async () => {
    const host = await hosts.load({ provider: "tavily", url: server.base, tavily_api_key: KEY });
    const out = (await host.callTool("search", { query: "capital of france", max_results: 1 })) as SearchOutput;
    expect(out.answers).toEqual(["Paris is the capital of France."]);
    expect(out.results).toHaveLength(1);
  });

  it("says where to get a key when none is set, and when Tavily refuses it", async () => {
    const none = await hosts.load({ provider: "tavily", url: server.base });
    await expect(none.callTool("search", { query: "x" })).rejects.toMatchObject({
      message: expect.stringContaining("Tavily needs an API key: get a key at https://app.tavily.com, then: shimmy plugin config web-search tavily_api_key=tvly-…"),
    });
    const wrong = await hosts.load({ provider: "tavily", url: server.base, tavily_api_key: "tvly-wrong" });
    await expect(wrong.callTool("search", { query: "x" })).rejects.toMatchObject({ message: expect.stringContaining("Tavily refused the API key (HTTP 401)") });
  });

  it("explains a used-up credit limit", async () => {
    const host = await hosts.load({ provider: "tavily", url: server.base, tavily_api_key: KEY });
    await expect(host.callTool("search", { query: "credits" })).rejects.toMatchObject({
      message: expect.stringContaining("Tavily answered HTTP 432: the rate or credit limit of the key is reached"),
    });
  });
});
