/**
 * The first-party plugins, installed from their packages with `shimmy plugin`, configured, and
 * called through a running server's `/api/tools/call`: web-search against servers shaped like each of
 * its providers (SearXNG, Brave, Tavily, DuckDuckGo) and http-get against a page, all on 127.0.0.1;
 * file-read in a temporary folder.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import net, { type AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { packedPlugin } from "../scripts/first-party-plugins.js";
import type { PluginSummary } from "../core/src/plugins/installed-plugins.js";
import { pluginCli } from "./helpers/plugin-cli.js";
import { adminApi, waitForPlugins } from "./helpers/plugins-api.js";
import { ROOT, startShimmy, type ShimmyProcess } from "./helpers/shimmy-process.js";

let shimmy: ShimmyProcess;
let work: string;
let searx: http.Server;
let pages: http.Server;
const searches: URLSearchParams[] = [];
/** One server per web-search provider besides SearXNG, each answering in that provider's shape. */
let providers: Record<"brave" | "tavily" | "duckduckgo", { server: http.Server; url: string; seen: http.IncomingHttpHeaders[] }>;
const BRAVE_KEY = "BSA-e2e-key";
const TAVILY_KEY = "tvly-e2e-key";

/** A server on 127.0.0.1 whose `answer` gets each request with its body read; records the headers. */
async function providerServer(answer: (req: http.IncomingMessage, body: string, res: http.ServerResponse) => void) {
  const seen: http.IncomingHttpHeaders[] = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8").on("data", (c: string) => (body += c));
    req.on("end", () => {
      seen.push(req.headers);
      answer(req, body, res);
    });
  });
  return { server, url: await listen(server), seen };
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

async function startProviders(): Promise<typeof providers> {
  const brave = await providerServer((req, _body, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    if (url.pathname !== "/res/v1/web/search") return sendJson(res, 404, { type: "ErrorResponse", error: { status: 404, code: "RESOURCE_NOT_FOUND", detail: "Resource not found." } });
    if (req.headers["x-subscription-token"] !== BRAVE_KEY) return sendJson(res, 401, { type: "ErrorResponse", error: { status: 401, code: "SUBSCRIPTION_TOKEN_INVALID", detail: "The provided subscription token is invalid." } });
    const q = url.searchParams.get("q");
    const results = [1, 2].map((i) => ({ title: `Brave <strong>${q}</strong> ${i}`, url: `https://brave.example/${i}`, description: `About <strong>${q}</strong> &amp; more, ${i}.`, type: "search_result", language: "en" }));
    sendJson(res, 200, { query: { original: q }, type: "search", web: { type: "search", results, family_friendly: true } });
  });
  const tavily = await providerServer((req, body, res) => {
    if (req.method !== "POST" || req.url !== "/search") return sendJson(res, 404, { detail: "Not Found" });
    const request = JSON.parse(body) as { query: string; api_key?: string; max_results?: number };
    const key = req.headers.authorization?.replace(/^Bearer /, "") ?? request.api_key;
    if (key !== TAVILY_KEY) return sendJson(res, 401, { detail: { error: "Unauthorized: missing or invalid API key." } });
    const results = Array.from({ length: request.max_results ?? 5 }, (_, i) => ({ title: `Tavily ${i + 1}`, url: `https://tavily.example/${i + 1}`, content: `${request.query}, part ${i + 1}.`, score: 0.9, raw_content: null }));
    sendJson(res, 200, { query: request.query, answer: null, images: [], results, response_time: 0.5 });
  });
  const duckduckgo = await providerServer((req, body, res) => {
    if (req.method !== "POST" || req.url !== "/html/") return void res.writeHead(404).end();
    const q = new URLSearchParams(body).get("q") ?? "";
    const result = (i: number) => `<div class="result results_links results_links_deep web-result "><div class="links_main links_deep result__body">
      <h2 class="result__title"><a rel="nofollow" class="result__a" href="//duckduckgo.com/l/?uddg=${encodeURIComponent(`https://ddg.example/${i}?a=1&b=2`)}&amp;rut=abc${i}">${q} <b>${i}</b></a></h2>
      <a class="result__snippet" href="//duckduckgo.com/l/?uddg=x">Snippet &amp; <b>${q}</b> ${i}</a><div class="clear"></div></div></div>`;
    res.writeHead(200, { "content-type": "text/html; charset=UTF-8" }).end(`<!DOCTYPE html><html><head><title>${q} at DuckDuckGo</title></head><body><div id="links" class="results">${[1, 2, 3].map(result).join("\n")}</div></body></html>`);
  });
  return { brave, tavily, duckduckgo };
}

function listen(server: http.Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

function call(name: string, args: Record<string, unknown>, plugin?: string): Promise<{ status: number; json: any }> {
  return adminApi(shimmy.url, "/api/tools/call", { name, arguments: args, ...(plugin ? { plugin } : {}) });
}

/** Waits (bounded) until the server lists the plugin `name` and it matches `ready`; that plugin. */
async function serverSees(name: string, ready: (plugin: PluginSummary) => boolean): Promise<PluginSummary> {
  const plugins = await waitForPlugins(shimmy.url, (all) => all.some((p) => p.name === name && ready(p)));
  return plugins.find((p) => p.name === name) as PluginSummary;
}

async function install(name: string): Promise<string> {
  const run = await pluginCli(shimmy.home, ["install", packedPlugin(inject("firstPartyPlugins"), name).tgz, "--yes"]);
  expect(run.code, run.stderr).toBe(0);
  await serverSees(name, (p) => p.status === "ready");
  return run.stdout;
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "shimmy-first-party-"));
  searx = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    searches.push(url.searchParams);
    if (url.pathname !== "/search" || url.searchParams.get("format") !== "json") {
      res.writeHead(403).end("format not allowed");
      return;
    }
    const q = url.searchParams.get("q") ?? "";
    res.writeHead(200, { "content-type": "application/json" }).end(
      JSON.stringify({
        query: q,
        results: [1, 2, 3].map((i) => ({ title: `${q} result ${i}`, url: `https://example.org/${i}`, content: `About ${q}, part ${i}.`, engine: "test" })),
        answers: [],
      }),
    );
  });
  pages = http.createServer((req, res) => {
    if (req.url === "/article") {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end("<html><head><title>Local &amp; private</title><style>p{}</style></head><body><h1>Shimmy</h1><script>alert(1)</script><p>Runs models on your disk&nbsp;&mdash; no cloud.</p><ul><li>fast</li><li>safe</li></ul></body></html>");
    } else {
      res.writeHead(404, { "content-type": "text/plain" }).end("no such page");
    }
  });
  const [searxUrl, pagesUrl] = await Promise.all([listen(searx), listen(pages)]);
  providers = await startProviders();
  process.env.SHIMMY_TEST_SEARX = searxUrl;
  process.env.SHIMMY_TEST_PAGES = pagesUrl;
  shimmy = await startShimmy({ args: ["--model", path.join(ROOT, "models/stories260K.gguf"), "--no-discovery"] });
});

afterAll(async () => {
  await shimmy?.stop();
  const servers = [searx, pages, ...Object.values(providers ?? {}).map((p) => p.server)];
  await Promise.all(servers.map((s) => new Promise((r) => (s ? s.close(r) : r(undefined)))));
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe("time", () => {
  it("gives the current UTC time and does date arithmetic", async () => {
    await install("time");
    const before = Date.now();
    const now = await call("now", {});
    expect(now.status, JSON.stringify(now.json)).toBe(200);
    expect(Math.abs(now.json.result.unix_ms - before)).toBeLessThan(60_000);
    expect(now.json.result.iso).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect((await call("date_add", { date: "2024-01-31", months: 1 })).json.result).toMatchObject({ date: "2024-02-29", weekday: "Thursday" });
    expect((await call("date_diff", { from: "2024-01-01", to: "2025-01-01" })).json.result).toMatchObject({ days: 366, direction: "future" });
    expect(await call("date_add", { date: "2023-02-29", days: 1 })).toMatchObject({ status: 502, json: { error: { code: "tool_failed", message: expect.stringContaining("2023-02-29") } } });
  });
});

describe("web-search", () => {
  it("installs reaching DuckDuckGo only, asks before a provider or url widens its reach, and refuses config its schema forbids", async () => {
    const searxUrl = process.env.SHIMMY_TEST_SEARX as string;
    const run = await pluginCli(shimmy.home, ["install", packedPlugin(inject("firstPartyPlugins"), "web-search").tgz, "--yes"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain("  network   https://html.duckduckgo.com\n");
    expect(run.stdout).not.toContain("(not set)");
    expect((await serverSees("web-search", (p) => p.status === "ready")).permissions.net).toEqual(["https://html.duckduckgo.com"]);

    // Picking Brave swaps DuckDuckGo's origin for Brave's API, and only that.
    const brave = await pluginCli(shimmy.home, ["config", "web-search", "provider=brave"], "n\n");
    expect(brave.code).toBe(1);
    expect(brave.stdout).toContain("With these settings web-search may also reach:\n  net https://api.search.brave.com\nAllow it? [y/N]");
    const refused = await pluginCli(shimmy.home, ["config", "web-search", "provider=searxng", `url=${searxUrl}`], "n\n");
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain(`With these settings web-search may also reach:\n  net ${searxUrl}\nAllow it? [y/N]`);
    expect((await serverSees("web-search", () => true)).config).toEqual({});

    const allowed = await pluginCli(shimmy.home, ["config", "web-search", "provider=searxng", `url=${searxUrl}`], "y\n");
    expect(allowed.code, allowed.stderr).toBe(0);
    const plugin = await serverSees("web-search", (p) => p.config.url === searxUrl && p.status === "ready");
    expect(plugin.permissions.net).toEqual([searxUrl]);

    // The same origin again (another path) widens nothing: no question, even with nothing on stdin.
    expect((await pluginCli(shimmy.home, ["config", "web-search", `url=${searxUrl}/`])).code).toBe(0);
    await serverSees("web-search", (p) => p.config.url === `${searxUrl}/`);
    expect((await pluginCli(shimmy.home, ["config", "web-search", `url=${searxUrl}`])).code).toBe(0);
    await serverSees("web-search", (p) => p.config.url === searxUrl);

    const invalid = await pluginCli(shimmy.home, ["config", "web-search", "safesearch=9"]);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain("web-search's config schema refuses it: /safesearch");
    expect((await pluginCli(shimmy.home, ["config", "web-search", "provider=bing"])).stderr).toContain("web-search's config schema refuses it: /provider");
    const unknown = await pluginCli(shimmy.home, ["config", "web-search", "colour=blue"]);
    expect(unknown.stderr).toContain('web-search has no setting "colour"; its settings are: provider, url, brave_api_key, tavily_api_key, language, safesearch');
  });

  it("searches the configured SearXNG instance", async () => {
    const result = await call("search", { query: "crème brûlée", max_results: 2 });
    expect(result.status, JSON.stringify(result.json)).toBe(200);
    expect(result.json.result.results).toEqual([
      { title: "crème brûlée result 1", url: "https://example.org/1", snippet: "About crème brûlée, part 1." },
      { title: "crème brûlée result 2", url: "https://example.org/2", snippet: "About crème brûlée, part 2." },
    ]);
    expect(searches.at(-1)?.get("q")).toBe("crème brûlée");
  });

  it("searches Brave, Tavily and DuckDuckGo in their own shapes, reaching only the chosen one, keys kept secret", async () => {
    const cases = [
      { provider: "brave", key: [`brave_api_key=${BRAVE_KEY}`], first: { title: "Brave crème 1", url: "https://brave.example/1", snippet: "About crème & more, 1." } },
      { provider: "tavily", key: [`tavily_api_key=${TAVILY_KEY}`], first: { title: "Tavily 1", url: "https://tavily.example/1", snippet: "crème, part 1." } },
      { provider: "duckduckgo", key: [], first: { title: "crème 1", url: "https://ddg.example/1?a=1&b=2", snippet: "Snippet & crème 1" } },
    ] as const;
    for (const c of cases) {
      const { url, seen } = providers[c.provider];
      const configured = await pluginCli(shimmy.home, ["config", "web-search", `provider=${c.provider}`, `url=${url}`, ...c.key], "y\n");
      expect(configured.code, configured.stderr).toBe(0);
      const plugin = await serverSees("web-search", (p) => p.config.provider === c.provider && p.config.url === url && p.status === "ready");
      expect(plugin.permissions.net).toEqual([url]);
      expect(plugin.config).not.toHaveProperty("brave_api_key");
      const result = await call("search", { query: "crème", max_results: 2 });
      expect(result.status, JSON.stringify(result.json)).toBe(200);
      expect(result.json.result).toEqual({ query: "crème", results: [c.first, expect.objectContaining({ url: expect.stringMatching(/2/) })] });
      expect(seen.length).toBeGreaterThan(0);
    }
    expect((await serverSees("web-search", () => true)).secrets_set.sort()).toEqual(["brave_api_key", "tavily_api_key"]);
    expect(providers.brave.seen.at(-1)?.["x-subscription-token"]).toBe(BRAVE_KEY);
    expect(providers.tavily.seen.at(-1)?.authorization).toBe(`Bearer ${TAVILY_KEY}`);
  });
});

describe("http-get", () => {
  it("fetches a page from an allowed origin as readable text, and nothing from other origins", async () => {
    const pagesUrl = process.env.SHIMMY_TEST_PAGES as string;
    await install("http-get");
    const configured = await pluginCli(shimmy.home, ["config", "http-get", `origins=${pagesUrl}`, "--yes"]);
    expect(configured.code, configured.stderr).toBe(0);
    await serverSees("http-get", (p) => p.permissions.net.includes(pagesUrl) && p.status === "ready");

    const page = await call("fetch", { url: `${pagesUrl}/article` });
    expect(page.status, JSON.stringify(page.json)).toBe(200);
    expect(page.json.result).toMatchObject({ status: 200, title: "Local & private", truncated: false });
    expect(page.json.result.text).toContain("Runs models on your disk\u00a0— no cloud.".replace("\u00a0", " "));
    expect(page.json.result.text).toContain("- fast");
    expect(page.json.result.text).not.toContain("alert(1)");
    expect((await call("fetch", { url: `${pagesUrl}/missing` })).json.result).toMatchObject({ status: 404 });

    const elsewhere = await call("fetch", { url: `${process.env.SHIMMY_TEST_SEARX}/search?q=x&format=json` });
    expect(elsewhere).toMatchObject({ status: 502, json: { error: { code: "tool_failed" } } });
    expect(elsewhere.json.error.message).toMatch(/not granted|permission/i);
  });
});

describe("file-read", () => {
  it("reads, lists and greps files in the configured folder only", async () => {
    const folder = path.join(work, "notes");
    fs.mkdirSync(path.join(folder, "sub"), { recursive: true });
    fs.writeFileSync(path.join(folder, "todo.md"), "# Todo\nbuy milk\nwrite the plugin store\n");
    fs.writeFileSync(path.join(folder, "sub", "ideas.txt"), "a plugin registry\nMILK is not an idea\n");
    fs.writeFileSync(path.join(work, "secret.txt"), "outside the folder");
    // The plan shows the limits file-read raises (shimmy-plugin.json), not only what it may reach.
    expect(await install("file-read")).toContain(
      [
        "It asks for more than the default limits:",
        "  memory    up to 149.1 MiB per instance, 2 instances (default 115.1 MiB): 32 MiB of wasm memory (512 pages)",
        "  time      30 s per call (default 10 s)",
        "  response  2 MiB per HTTP response, file read and call output (default 1 MiB)",
      ].join("\n"),
    );
    expect((await pluginCli(shimmy.home, ["config", "file-read", `folder=${folder}`, "--yes"])).code).toBe(0);
    await serverSees("file-read", (p) => p.permissions.fs.read.includes(folder) && p.status === "ready");

    const read = await call("read_file", { path: "todo.md" });
    expect(read.status, JSON.stringify(read.json)).toBe(200);
    expect(read.json.result.text).toContain("buy milk");
    const listed = await call("list_files", { recursive: true });
    expect(listed.json.result.entries.map((e: { path: string }) => e.path).sort()).toEqual(["sub", "sub/ideas.txt", "todo.md"]);
    const grep = await call("grep", { pattern: "milk", ignore_case: true });
    expect(grep.json.result.matches.map((m: { path: string; line: number }) => `${m.path}:${m.line}`).sort()).toEqual(["sub/ideas.txt:2", "todo.md:2"]);
    expect(await call("read_file", { path: "../secret.txt" })).toMatchObject({ status: 502, json: { error: { code: "tool_failed" } } });
  });

  it("refuses a FIFO and a socket in the folder at once, and a chat completion and another plugin's call beside the read are unaffected", async () => {
    // A read that blocked opening a FIFO with no writer would hold one of the server's libuv pool
    // threads; llama.cpp evaluates in the model's runner process, on that process's own pool.
    const folder = path.join(work, "notes");
    const fifo = path.join(folder, "pipe");
    execFileSync("mkfifo", [fifo]);
    const socket = net.createServer();
    await new Promise<void>((resolve) => socket.listen(path.join(folder, "sock"), resolve));
    try {
      const listed = await call("list_files", {});
      expect(listed.json.result.entries).toEqual(expect.arrayContaining([{ path: "pipe", type: "other", size: 0 }, { path: "sock", type: "other", size: 0 }]));
      const read = call("read_file", { path: "pipe" });
      await new Promise((r) => setTimeout(r, 200)); // the read reaches the host first
      const chat = await shimmy.client({ timeout: 20_000 }).chat.completions.create({ model: "stories260K", messages: [{ role: "user", content: "Hello" }], max_tokens: 8, seed: 1 });
      expect(chat.choices[0]?.message.role).toBe("assistant");
      // Another plugin's call beside the read is served too.
      expect(await call("date_diff", { from: "2024-01-01", to: "2024-01-02" })).toMatchObject({ status: 200, json: { result: { days: 1 } } });
      expect(await read).toMatchObject({ status: 502, json: { error: { code: "tool_failed", message: expect.stringContaining("is a FIFO (named pipe); only regular files can be read") } } });
      expect(await call("read_file", { path: "sock" })).toMatchObject({ status: 502, json: { error: { message: expect.stringContaining("is a socket; only regular files can be read") } } });
      expect(await adminApi(shimmy.url, "/health")).toMatchObject({ status: 200, json: { status: "ok" } });
    } finally {
      // Frees a reader the FIFO blocked (a regression), so the server can stop.
      await fs.promises.open(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK).then((h) => h.close(), () => {});
      await new Promise((resolve) => socket.close(resolve));
    }
  });
});
