/** web-search with DuckDuckGo (the default), against a local server answering with its HTML results page. */
import type http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startProvider, webSearchHosts, type ProviderServer, type Received, type SearchOutput } from "./test-support.js";

let server: ProviderServer;
const hosts = webSearchHosts();

const redirect = (url: string) => `//duckduckgo.com/l/?uddg=${encodeURIComponent(url)}&amp;rut=0f3c1a9e8b7d6c5b4a39281706f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7`;

/** One organic result block, as html.duckduckgo.com writes it. */
function result(url: string, title: string, snippet: string | null): string {
  const host = new URL(url).hostname;
  return `
    <div class="result results_links results_links_deep web-result ">
      <div class="links_main links_deep result__body"> <!-- This is the visible part -->
        <h2 class="result__title">
          <a rel="nofollow" class="result__a" href="${redirect(url)}">${title}</a>
        </h2>
        <div class="result__extras">
          <div class="result__extras__url">
            <span class="result__icon">
              <a rel="nofollow" href="${redirect(url)}">
                <img class="result__icon__img" width="16" height="16" alt="" src="//external-content.duckduckgo.com/ip3/${host}.ico" name="i15" />
              </a>
            </span>
            <a class="result__url" href="${redirect(url)}">${host}</a>
          </div>
        </div>
        ${snippet === null ? "" : `<a class="result__snippet" href="${redirect(url)}">${snippet}</a>`}
        <div class="clear"></div>
      </div>
    </div>`;
}

const AD = `
    <div class="result results_links results_links_deep result--ad  result--ad--small">
      <div class="links_main links_deep result__body">
        <h2 class="result__title">
          <a rel="nofollow" class="result__a" href="https://duckduckgo.com/y.js?ad_domain=wasm-hosting.example&amp;ad_provider=bingv7aa&amp;ad_type=txad&amp;rut=8e7d&amp;u3=https%3A%2F%2Fwww.bing.com%2Faclick%3Fld%3De8">Wasm Hosting - Deploy In Seconds</a>
        </h2>
        <a class="result__snippet" href="https://duckduckgo.com/y.js?ad_domain=wasm-hosting.example">Sponsored. Try it free.</a>
      </div>
    </div>`;

/** A results page: header form, an ad, then `blocks`, then the "Next" form. */
function page(query: string, blocks: string): string {
  return `<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
<head>
  <meta http-equiv="content-type" content="text/html; charset=UTF-8">
  <meta name="robots" content="noindex, nofollow" />
  <title>${query} at DuckDuckGo</title>
  <link rel="stylesheet" href="//duckduckgo.com/dist/h.b5b5c3ea7b4b5b8a.css" type="text/css">
</head>
<body>
  <div id="header" class="header  cw  header--html">
    <a title="DuckDuckGo" href="/html/" class="header__logo-wrap" tabindex="-1"></a>
    <form name="x" class="header__form" action="/html/" method="post">
      <div class="search  search--header">
        <input name="q" autocomplete="off" class="search__input" id="search_form_input_homepage" type="text" value="${query}" />
        <input name="b" id="search_button_homepage" class="search__button search__button--html" value="" title="Search" alt="Search" type="submit" />
      </div>
    </form>
  </div>
  <div>
  <div class="serp__results">
  <div id="links" class="results">
${AD}
${blocks}
    <div class="nav-link">
      <form action="/html/" method="post">
        <input type="submit" class='btn btn--alt' value="Next" />
        <input type="hidden" name="q" value="${query}" />
        <input type="hidden" name="s" value="10" />
      </form>
    </div>
  </div>
  </div>
  </div>
</body>
</html>`;
}

const RESULTS = [
  result("https://webassembly.org/", "WebAssembly", "<b>WebAssembly</b> (abbreviated <em>Wasm</em>) is a binary instruction format for a stack-based virtual machine."),
  result("https://en.wikipedia.org/wiki/WebAssembly?x=1&y=2", "WebAssembly - Wikipedia", "It&#x27;s a &quot;portable&quot; format &amp; more&hellip;"),
  result("https://developer.mozilla.org/en-US/docs/WebAssembly", "WebAssembly | MDN", null),
  // Another attribute order, single quotes, a direct link without the redirect.
  `<div class="result results_links web-result"><h2 class="result__title"><a href='https://bytecodealliance.org/' class='result__a' rel='nofollow'>Bytecode <b>Alliance</b></a></h2>
   <div class='result__snippet'>Runtimes: Wasmtime,
     WAMR.</div></div>`,
  result("https://example.org/zürich", "Grüezi aus Zürich 🎉", "Ünïcödé snippet"),
].join("\n");

const NO_RESULTS = `<div class="result results_links_deep highlight_d result--no-result"><div class="links_main links_deep result__body"><div class="no-results">No  results.</div></div></div>`;

const BOT_CHECK = `<!DOCTYPE html><html><body><div class="anomaly-modal__title">Unfortunately, bots use DuckDuckGo too.</div>
<form id="challenge-form" action="//duckduckgo.com/anomaly.js?sv=html&amp;cc=botnet" method="POST"><div class="anomaly-modal__puzzle"></div></form></body></html>`;

/** html.duckduckgo.com's `/html/` form endpoint. */
function duckduckgo(req: Received, res: http.ServerResponse): void {
  if (req.method !== "POST" || req.path !== "/html/") {
    res.writeHead(404, { "content-type": "text/html" }).end("<html><body>Not found</body></html>");
    return;
  }
  const q = new URLSearchParams(req.body).get("q") ?? "";
  const html = (status: number, body: string) => res.writeHead(status, { "content-type": "text/html; charset=UTF-8" }).end(body);
  if (q === "nothing") html(200, page(q, NO_RESULTS));
  else if (q === "bot") html(202, BOT_CHECK);
  else if (q === "changed") html(200, "<html><body><div class='serp'>Results moved somewhere else</div></body></html>");
  else if (q === "hostile") html(200, ` class="result__a" `.repeat(60_000) + `<a class='result__a'>`.repeat(5_000) + `<a class="result__a" href="`.padEnd(200_000, "x"));
  else if (q === "many") html(200, page(q, Array.from({ length: 300 }, (_, i) => result(`https://example.com/${i}`, `R${i}`, `S${i}`)).join("\n")));
  else html(200, page(q, RESULTS));
}

beforeAll(async () => {
  server = await startProvider(duckduckgo);
});

afterAll(async () => {
  await hosts.dispose();
  await server?.close();
});

describe("web-search with DuckDuckGo", () => {
  it("posts the form and reads the page: real URLs from uddg, no ads, marks and entities taken out", async () => {
    const host = await hosts.load({ provider: "duckduckgo", url: server.base });
    const out = (await host.callTool("search", { query: "webassembly", max_results: 10 })) as SearchOutput;
    expect(out).toEqual({
      query: "webassembly",
      results: [
        { title: "WebAssembly", url: "https://webassembly.org/", snippet: "WebAssembly (abbreviated Wasm) is a binary instruction format for a stack-based virtual machine." },
        { title: "WebAssembly - Wikipedia", url: "https://en.wikipedia.org/wiki/WebAssembly?x=1&y=2", snippet: 'It\'s a "portable" format & more…' },
        { title: "WebAssembly | MDN", url: "https://developer.mozilla.org/en-US/docs/WebAssembly", snippet: "" },
        { title: "Bytecode Alliance", url: "https://bytecodealliance.org/", snippet: "Runtimes: Wasmtime, WAMR." },
        { title: "Grüezi aus Zürich 🎉", url: "https://example.org/zürich", snippet: "Ünïcödé snippet" },
      ],
    });
    const req = server.last();
    expect(req.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(Object.fromEntries(new URLSearchParams(req.body))).toEqual({ q: "webassembly", b: "" });
  });

  it("cuts at max_results and maps language, safesearch and time_range to kl, kp and df", async () => {
    const host = await hosts.load({ provider: "duckduckgo", url: server.base, language: "de-CH", safesearch: 2 });
    const out = (await host.callTool("search", { query: "wasm & wasi / 100%", max_results: 2, time_range: "month" })) as SearchOutput;
    expect(out.results.map((r) => r.url)).toEqual(["https://webassembly.org/", "https://en.wikipedia.org/wiki/WebAssembly?x=1&y=2"]);
    expect(Object.fromEntries(new URLSearchParams(server.last().body))).toEqual({ q: "wasm & wasi / 100%", b: "", kl: "ch-de", kp: "1", df: "m" });
    await host.callTool("search", { query: "x", language: "en-GB" });
    expect(new URLSearchParams(server.last().body).get("kl")).toBe("uk-en");
  });

  it("answers no results for DuckDuckGo's no-results page, and reads at most 20 of a long page", async () => {
    const host = await hosts.load({ provider: "duckduckgo", url: server.base });
    await expect(host.callTool("search", { query: "nothing" })).resolves.toEqual({ query: "nothing", results: [] });
    const out = (await host.callTool("search", { query: "many", max_results: 20 })) as SearchOutput;
    expect(out.results).toHaveLength(20);
    expect(out.results[19]).toEqual({ title: "R19", url: "https://example.com/19", snippet: "S19" });
  });

  it("reads a hostile page in bounded time: class names in text, a tag that never closes, links without href", async () => {
    const host = await hosts.load({ provider: "duckduckgo", url: server.base });
    const started = Date.now();
    await expect(host.callTool("search", { query: "hostile", max_results: 20 })).resolves.toEqual({ query: "hostile", results: [] });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("says so when DuckDuckGo sends a bot check, or a page it cannot read", async () => {
    const host = await hosts.load({ provider: "duckduckgo", url: server.base });
    await expect(host.callTool("search", { query: "bot" })).rejects.toMatchObject({
      code: "plugin_error",
      message: expect.stringMatching(/DuckDuckGo answered with a bot check instead of results \(HTTP 202\); wait a few minutes, or pick another provider/),
    });
    await expect(host.callTool("search", { query: "changed" })).rejects.toMatchObject({
      message: expect.stringContaining("DuckDuckGo's page has no results this plugin can read (has its HTML changed?): Results moved somewhere else"),
    });
  });
});
