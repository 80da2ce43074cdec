/**
 * The registry's web pages in a real browser (Debian's headless Chromium, driven by
 * playwright-core) against the real registry process: the index lists and searches the published
 * plugins, a package page shows tools, schemas, permissions, limits and versions, the
 * files-and-network warning appears only where it applies, and a hostile README renders as HTML
 * without running any script. Screenshots of the index and a package page are written for review.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { packedPlugin } from "../../scripts/first-party-plugins.js";
import { rawTarball } from "../../test/helpers/raw-tar.js";
import { publish, put, ROOT, startRegistryProcess, TOKENS, unpack, writeTokenFile, type RegistryProcess } from "./helpers.js";

const CHROMIUM = "/usr/bin/chromium";
const hasChromium = fs.existsSync(CHROMIUM);
// In CI the browser test must run (.ci/run installs chromium); elsewhere it is skipped, loudly.
const skip = !hasChromium && !process.env.CI;
if (skip) console.warn(`web.e2e: SKIPPED, ${CHROMIUM} is missing (install it: apt-get install -y --no-install-recommends chromium)`);

const SCREENSHOTS = path.resolve(process.env.SHIMMY_SCREENSHOTS ?? path.join(ROOT, "test-results/screenshots"));
const HOSTILE = "@alice/notes-sync";

/** A README that would run script three ways if it were rendered as it is. */
const HOSTILE_README = `# Notes sync

Copies your notes folder to a sync server.

- reads the folder you grant
- uploads to sync.example.com
- keeps a log

\`\`\`js
const folder = "~/notes";
\`\`\`

<script>window.__readmeScriptRan = "script";</script>

<img src="x" onerror="window.__readmeScriptRan = 'onerror'" alt="broken">

[click me](javascript:window.__readmeScriptRan='link')
`;

let work: string;
let registry: RegistryProcess;
let browser: Browser;

/** file-read's module and manifest, renamed, with network access added and the hostile README. */
function hostileTarball(files: Record<string, Buffer>, version: string): Buffer {
  const pkg = { ...JSON.parse(files["package.json"]!.toString()), name: HOSTILE, version, description: "Syncs a notes folder to a server" };
  const manifest = { ...JSON.parse(files["shimmy-plugin.json"]!.toString()), name: HOSTILE, version };
  delete manifest.$schema;
  manifest.permissions = { ...manifest.permissions, net: ["https://sync.example.com"] };
  return rawTarball([
    { name: "package/package.json", body: JSON.stringify(pkg, null, 2) },
    { name: "package/shimmy-plugin.json", body: JSON.stringify(manifest, null, 2) },
    { name: "package/plugin.wasm", body: new Uint8Array(files["plugin.wasm"]!) },
    { name: "package/README.md", body: HOSTILE_README },
  ]);
}

beforeAll(async () => {
  if (skip) return;
  work = fs.mkdtempSync(path.join(os.tmpdir(), "registry-web-"));
  registry = await startRegistryProcess({ dataDir: path.join(work, "data"), tokenFile: writeTokenFile(work) });
  const plugins = inject("firstPartyPlugins");
  for (const name of ["http-get", "file-read"]) {
    const packed = packedPlugin(plugins, name);
    const published = await publish(registry.url, name, packed.version, fs.readFileSync(packed.tgz), TOKENS.shimmy);
    expect(published.status, JSON.stringify(published.json)).toBe(201);
  }
  const fileRead = unpack(packedPlugin(plugins, "file-read").tgz);
  for (const version of ["1.0.0", "1.1.0"]) {
    const published = await publish(registry.url, HOSTILE, version, hostileTarball(fileRead, version), TOKENS.alice);
    expect(published.status, JSON.stringify(published.json)).toBe(201);
  }
  const doc = (await (await fetch(`${registry.url}/${HOSTILE.replace("/", "%2f")}`)).json()) as any;
  doc.versions["1.0.0"].deprecated = "uploads in plain text; use 1.1.0";
  expect((await put(registry.url, HOSTILE, doc, TOKENS.alice)).status).toBe(200);

  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
});

afterAll(async () => {
  await browser?.close();
  await registry?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

/** A fresh page; `errors` collects uncaught page errors. */
async function openPage(): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  return { page, errors };
}

describe.skipIf(skip)("the registry's web pages in Chromium", () => {
  it("lists every plugin on the index, with a strict CSP, and search narrows the list", async () => {
    const { page, errors } = await openPage();
    try {
      const response = await page.goto(`${registry.url}/`);
      expect(response!.status()).toBe(200);
      const csp = response!.headers()["content-security-policy"];
      expect(csp).toContain("script-src 'none'");
      expect(csp).toContain("default-src 'none'");
      expect(await page.locator("li[data-package]").evaluateAll((items) => items.map((li) => li.getAttribute("data-package")))).toEqual([HOSTILE, "file-read", "http-get"]);
      // The stylesheet loaded under the CSP (the header is laid out as a flex row).
      expect(await page.locator("header.site").evaluate((el) => (globalThis as any).getComputedStyle(el).display)).toBe("flex");
      // Only the plugin that combines files and network carries the warning badge.
      expect(await page.locator('li[data-package] [data-warning="files-and-network"]').count()).toBe(1);
      await expect(page.locator(`li[data-package="${HOSTILE}"] [data-warning="files-and-network"]`).count()).resolves.toBe(1);
      await page.screenshot({ path: path.join(SCREENSHOTS, "index.png"), fullPage: true });

      await page.getByLabel("Search plugins").fill("http");
      await Promise.all([page.waitForURL(/\?q=http/), page.getByRole("button", { name: "Search" }).click()]);
      expect(await page.locator("li[data-package]").evaluateAll((items) => items.map((li) => li.getAttribute("data-package")))).toEqual(["http-get"]);
      expect(await page.getByRole("status").textContent()).toContain("1 plugin matching “http”");

      await page.goto(`${registry.url}/?q=${encodeURIComponent("keywords:grep")}`);
      expect(await page.locator("li[data-package]").evaluateAll((items) => items.map((li) => li.getAttribute("data-package")))).toEqual([HOSTILE, "file-read"]);
      await page.goto(`${registry.url}/?q=nothing-like-this`);
      expect(await page.locator("li[data-package]").count()).toBe(0);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it("shows a plugin's tools with their input schemas, its hosts and its limits, without a warning", async () => {
    const { page, errors } = await openPage();
    try {
      await page.goto(`${registry.url}/`);
      await Promise.all([page.waitForURL(/\/-\/web\/package\/http-get$/), page.getByRole("link", { name: "http-get", exact: true }).click()]);
      expect(await page.locator("h1").textContent()).toContain("http-get");
      const tool = page.locator('[data-tool="fetch"]');
      expect(await tool.locator("h3").textContent()).toContain("fetch");
      const rows = await tool.locator("tbody tr").evaluateAll((trs) => trs.map((tr) => [...tr.children].map((cell) => cell.textContent!.trim())));
      expect(rows.map((row) => row.slice(0, 3))).toEqual([
        ["url", "string", "yes"],
        ["max_chars", "integer", "no"],
      ]);
      expect(rows[1]![3]).toContain("max 100000");
      expect(await tool.locator("details pre").textContent()).toContain('"additionalProperties": false');
      expect(await page.locator('[data-access="net"]').textContent()).toContain("{config.origins}");
      expect(await page.locator('[data-access="fs-read"]').textContent()).toContain("none");
      expect(await page.locator('[data-limit="memoryMaxPages"]').textContent()).toContain("64 MiB");
      expect(await page.locator('[data-limit="timeoutMs"]').textContent()).toContain("15 s");
      expect(await page.locator('[data-limit="maxResponseBytes"]').textContent()).toContain("2 MiB");
      expect(await page.locator('[data-warning="files-and-network"]').count()).toBe(0);

      await page.goto(`${registry.url}/-/web/package/file-read`);
      expect(await page.locator("[data-tool]").evaluateAll((tools) => tools.map((t) => t.getAttribute("data-tool")))).toEqual(["read_file", "list_files", "grep"]);
      expect(await page.locator('[data-access="fs-read"]').textContent()).toContain("{config.folder}");
      expect(await page.locator('[data-access="net"]').textContent()).toContain("none");
      expect(await page.locator('[data-warning="files-and-network"]').count()).toBe(0);
      // A first-party README renders too.
      expect(await page.locator("[data-readme] h3").count()).toBeGreaterThan(0);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it("warns about files plus network, marks deprecated versions, and renders a hostile README without running script", async () => {
    const { page, errors } = await openPage();
    try {
      const response = await page.goto(`${registry.url}/-/web/package/${HOSTILE}`);
      expect(response!.status()).toBe(200);
      expect(response!.headers()["content-security-policy"]).toContain("script-src 'none'");
      expect(await page.locator("h1").textContent()).toContain(`${HOSTILE} 1.1.0`);
      const warning = page.locator('[data-warning="files-and-network"]');
      expect(await warning.isVisible()).toBe(true);
      expect(await warning.textContent()).toContain("combines file access with network access");
      expect(await page.locator('[data-access="net"]').textContent()).toContain("https://sync.example.com");
      expect(await page.locator('[data-access="fs-read"]').textContent()).toContain("{config.folder}");

      const versions = await page.locator("[data-section=versions] tbody tr").evaluateAll((trs) => trs.map((tr) => [...tr.children].map((cell) => cell.textContent!.trim().replace(/\s+/g, " "))));
      expect(versions.map((row) => row[0])).toEqual(["1.1.0", "1.0.0"]);
      expect(versions[0]![1]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d UTC$/);
      expect(versions[0]![2]).toBe("latest");
      expect(versions[1]![3]).toBe("deprecated uploads in plain text; use 1.1.0");

      const readme = page.locator("[data-readme]");
      expect(await readme.locator("h3").first().textContent()).toBe("Notes sync");
      expect(await readme.locator("ul > li").count()).toBe(3);
      expect(await readme.locator("pre code").textContent()).toContain('const folder = "~/notes";');
      // Nothing from the README ran, and nothing that could run is left in the DOM.
      expect(await page.evaluate(() => (globalThis as { __readmeScriptRan?: unknown }).__readmeScriptRan)).toBeUndefined();
      expect(await page.locator("script").count()).toBe(0);
      const handlers = await page.locator("[data-readme] *").evaluateAll((els) => els.flatMap((el) => el.getAttributeNames().filter((name: string) => name.startsWith("on"))));
      expect(handlers).toEqual([]);
      expect(await page.locator('a[href^="javascript:" i]').count()).toBe(0);
      expect(await readme.getByText("click me").count()).toBe(1);
      await page.screenshot({ path: path.join(SCREENSHOTS, "package.png"), fullPage: true });
      await page.screenshot({ path: path.join(SCREENSHOTS, "package-top.png") });

      await page.goto(`${registry.url}/-/web/package/${HOSTILE}/v/1.0.0`);
      expect(await page.locator("[data-deprecated]").textContent()).toContain("uploads in plain text; use 1.1.0");
      expect(errors).toEqual([]);
      console.log(`web.e2e: screenshots in ${SCREENSHOTS} (index.png, package.png, package-top.png)`);
    } finally {
      await page.close();
    }
  });

  it("answers an unknown package with an HTML 404 and leaves npm's JSON routes alone", async () => {
    const missing = await fetch(`${registry.url}/-/web/package/no-such-plugin`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get("content-type")).toMatch(/^text\/html/);
    expect(missing.headers.get("content-security-policy")).toContain("script-src 'none'");
    const packument = await fetch(`${registry.url}/http-get`);
    expect(packument.headers.get("content-type")).toMatch(/^application\/json/);
    expect(((await packument.json()) as { name: string }).name).toBe("http-get");
    const css = await fetch(`${registry.url}/-/web/style.css`);
    expect(css.headers.get("content-type")).toMatch(/^text\/css/);
  });
});
