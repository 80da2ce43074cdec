import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import type { PluginManifest } from "@shimmy/plugin-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PluginHost } from "../../core/src/plugins/host.js";
import { readBuiltPlugin } from "../../test/helpers/packed-plugin.js";

let manifest: PluginManifest;
let wasm: Uint8Array;
let server: http.Server;
let other: http.Server;
let base: string;
let otherBase: string;
const hosts: PluginHost[] = [];
const logger = { info: () => {}, warn: () => {}, debug: () => {} };

const PAGE = `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Fish &amp; Chips
    — a guide</title>
  <style>body { color: red; } p::after { content: "<p>no</p>"; }</style>
  <script>var s = "</p><p>not text</p>"; if (a < b) {}</script>
</head>
<body>
  <!-- a comment <p>hidden</p> -->
  <nav><a href="/">Home</a> | <a href='/about' title="a > b">About</a></nav>
  <h1>Fish   &amp;
  Chips</h1>
  <p>Cod &lt;fresh&gt;, &quot;crispy&quot; &apos;n&apos; hot&nbsp;&mdash; &copy; 2024&hellip; &#169; &#x1F41F; &#128512; caf&eacute; 3 &lt 4</p>
  <p></p><p>   </p><div></div>
  <ul>
    <li>Cod</li>
    <li>Haddock<li>Plaice
  </ul>
  <script type="module">document.write("<li>injected</li>")</script>
  <noscript><p>Enable JavaScript</p></noscript>
  <template><p>template</p></template>
  <svg viewBox="0 0 1 1"><title>icon</title><text>svg text</text></svg>
  <p>Line one<br>Line two<br><br><br><br>Line three</p>
  <pre>  indented
    code &amp; more</pre>
  <table><tr><th>Fish</th><th>Price</th></tr><tr><td>Cod</td><td>£5</td></tr></table>
  <p>Grüße, 世界</p>
</body>
</html>`;

const EXPECTED_TEXT = [
  "Home | About",
  "",
  "Fish & Chips",
  "",
  "Cod <fresh>, \"crispy\" 'n' hot — © 2024… © 🐟 😀 caf&eacute; 3 < 4",
  "",
  "- Cod",
  "- Haddock",
  "- Plaice",
  "",
  "Line one",
  "Line two",
  "",
  "Line three",
  "",
  "  indented",
  "    code & more",
  "",
  "Fish Price",
  "Cod £5",
  "",
  "Grüße, 世界",
].join("\n");

const BIG_ROW = `<div class="row"><p>Lorem &amp; ipsum <b>dolor</b>, café 世界</p><script>var x = "<p>";</script></div>\n`;

function routes(req: http.IncomingMessage, res: http.ServerResponse): void {
  switch (req.url) {
    case "/page.html":
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(PAGE);
      break;
    case "/redirect":
      res.writeHead(302, { location: "/page.html" }).end();
      break;
    case "/data.json":
      res.writeHead(200, { "content-type": "application/json" }).end('{"a": [1, 2], "b": "<p>x</p> &amp;"}\n');
      break;
    case "/feed":
      res.writeHead(200, { "content-type": "application/atom+xml" }).end("<feed><title>T &amp; U</title></feed>");
      break;
    case "/long.txt":
      res.writeHead(200, { "content-type": "text/plain" }).end("123456789😀" + "x".repeat(50000));
      break;
    case "/latin1.txt":
      res.writeHead(200, { "content-type": "text/plain; charset=ISO-8859-1" }).end(Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x20, 0x80]));
      break;
    case "/big.html":
      // Just under maxResponseBytes (2 MiB): the plugin must parse it within its memory and time.
      res.writeHead(200, { "content-type": "text/html" }).end(`<title>big</title>${BIG_ROW.repeat(Math.floor(2_000_000 / Buffer.byteLength(BIG_ROW)))}`);
      break;
    case "/image.png":
      res.writeHead(200, { "content-type": "image/png" }).end(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0xff]));
      break;
    default:
      res.writeHead(404, { "content-type": "text/html" }).end("<html><head><title>404</title></head><body><h1>Not found</h1></body></html>");
  }
}

async function load(config: Record<string, unknown>): Promise<PluginHost> {
  const host = await PluginHost.load({ manifest, wasm, config, home: tmpdir(), serverAddresses: [{ host: "127.0.0.1", port: 1 }], logger, poolSize: 1 });
  hosts.push(host);
  return host;
}

async function listen(handler: http.RequestListener): Promise<[http.Server, string]> {
  const s = http.createServer(handler);
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  return [s, `http://127.0.0.1:${(s.address() as AddressInfo).port}`];
}

beforeAll(async () => {
  ({ manifest, wasm } = await readBuiltPlugin("http-get"));
  [server, base] = await listen(routes);
  [other, otherBase] = await listen((_req, res) => res.end("other"));
});

afterAll(async () => {
  await Promise.all(hosts.map((h) => h.dispose()));
  for (const s of [server, other]) if (s) await new Promise((resolve) => s.close(resolve));
});

describe("http-get", () => {
  it("reduces HTML to readable text: no script, style or head, blocks on lines, lists, entities", async () => {
    const host = await load({ origins: [base] });
    const out = await host.callTool("fetch", { url: `${base}/page.html` });
    expect(out).toEqual({
      url: `${base}/page.html`,
      status: 200,
      content_type: "text/html; charset=utf-8",
      title: "Fish & Chips — a guide",
      text: EXPECTED_TEXT,
      truncated: false,
    });
  });

  it("follows a redirect and reports the final status", async () => {
    const host = await load({ origins: [base] });
    await expect(host.callTool("fetch", { url: `${base}/redirect` })).resolves.toMatchObject({ status: 200, title: "Fish & Chips — a guide" });
  });

  it("passes JSON and +xml through as they are", async () => {
    const host = await load({ origins: [base] });
    await expect(host.callTool("fetch", { url: `${base}/data.json` })).resolves.toEqual({
      url: `${base}/data.json`,
      status: 200,
      content_type: "application/json",
      text: '{"a": [1, 2], "b": "<p>x</p> &amp;"}\n',
      truncated: false,
    });
    await expect(host.callTool("fetch", { url: `${base}/feed` })).resolves.toMatchObject({ text: "<feed><title>T &amp; U</title></feed>" });
  });

  it("truncates to max_chars characters without splitting a surrogate pair, and defaults to the config", async () => {
    const host = await load({ origins: [base], max_chars: 12 });
    await expect(host.callTool("fetch", { url: `${base}/long.txt`, max_chars: 10 })).resolves.toMatchObject({ text: "123456789", truncated: true });
    await expect(host.callTool("fetch", { url: `${base}/long.txt`, max_chars: 11 })).resolves.toMatchObject({ text: "123456789😀", truncated: true });
    await expect(host.callTool("fetch", { url: `${base}/long.txt` })).resolves.toMatchObject({ text: "123456789😀x", truncated: true });
    const unset = await load({ origins: [base] });
    const out = (await unset.callTool("fetch", { url: `${base}/long.txt` })) as { text: string; truncated: boolean };
    expect([out.text.length, out.truncated]).toEqual([20000, true]);
  });

  it("reads a page near maxResponseBytes within its memory and time limits", async () => {
    const host = await load({ origins: [base] });
    const out = (await host.callTool("fetch", { url: `${base}/big.html`, max_chars: 100000 })) as { title: string; text: string; truncated: boolean };
    expect(out.title).toBe("big");
    expect(out.truncated).toBe(true);
    expect(out.text.startsWith("Lorem & ipsum dolor, café 世界\n\nLorem & ipsum dolor, café 世界\n")).toBe(true);
    expect(out.text).not.toContain("<");
  });

  it("decodes a Latin-1 text body", async () => {
    const host = await load({ origins: [base] });
    await expect(host.callTool("fetch", { url: `${base}/latin1.txt` })).resolves.toMatchObject({ text: "café €" });
  });

  it("refuses a body that is not text", async () => {
    const host = await load({ origins: [base] });
    await expect(host.callTool("fetch", { url: `${base}/image.png` })).rejects.toMatchObject({
      code: "plugin_error",
      message: expect.stringContaining(`${base}/image.png is not text (content type image/png)`),
    });
  });

  it("relays the host's refusal of an origin that is not granted", async () => {
    const host = await load({ origins: [base] });
    const port = new URL(otherBase).port;
    await expect(host.callTool("fetch", { url: `${otherBase}/` })).rejects.toMatchObject({
      code: "plugin_error",
      message: expect.stringMatching(new RegExp(`could not fetch ${otherBase}/: http://127\\.0\\.0\\.1:${port} is not granted`)),
    });
  });

  it("returns a 404 with its status, not as an error", async () => {
    const host = await load({ origins: [base] });
    await expect(host.callTool("fetch", { url: `${base}/nope` })).resolves.toEqual({
      url: `${base}/nope`,
      status: 404,
      content_type: "text/html",
      title: "404",
      text: "Not found",
      truncated: false,
    });
  });
});
