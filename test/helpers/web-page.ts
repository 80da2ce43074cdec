/**
 * Driving the core's web page (`/`) in Debian's headless Chromium with playwright-core, for
 * test/web-ui.e2e.test.ts: where the browser is, where screenshots go, a fresh tab that records its
 * console errors, and checks of what a rendered answer holds.
 */
import fs from "node:fs";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { expect } from "vitest";
import { ROOT } from "./shimmy-process.js";

/** Debian's Chromium, which `.ci/run` installs. */
export const CHROMIUM = "/usr/bin/chromium";

/** Skip when the browser is missing, except in CI, where the test must run. */
export const SKIP_BROWSER = !fs.existsSync(CHROMIUM) && !process.env.CI;

/** Where the screenshots are written (`SHIMMY_SCREENSHOTS` to change it). */
export const SCREENSHOTS = path.resolve(process.env.SHIMMY_SCREENSHOTS ?? path.join(ROOT, "test-results/screenshots"));

/** A tab of the page, with what its console reported. */
export interface OpenPage {
  page: Page;
  /** Page errors and console errors (CSP refusals among them). */
  errors: string[];
  /** The page's Content-Security-Policy header. */
  csp: string | undefined;
}

/** A fresh tab on `url`, ready (`body[data-ready]`: models and plugins read) unless `ready` is false. */
export async function openPage(browser: Browser, url: string, ready = true): Promise<OpenPage> {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  const response = await page.goto(url);
  expect(response!.status()).toBe(200);
  if (ready) await page.locator("body[data-ready=true]").waitFor();
  return { page, errors, csp: response!.headers()["content-security-policy"] };
}

/** Waits until the last answer has finished (however it ended): its state and text. */
export async function lastAnswer(page: Page, timeout = 30_000): Promise<{ state: string | null; text: string }> {
  const answer = page.locator("li[data-role=assistant]").last();
  await page.locator("li[data-role=assistant]:last-child[aria-busy=false]").waitFor({ timeout });
  return { state: await answer.getAttribute("data-state"), text: (await answer.textContent()) ?? "" };
}

/** What hostile content set `window.__hostile` to, had any of it run. */
export function hostileRan(page: Page): Promise<unknown> {
  return page.evaluate(() => (globalThis as { __hostile?: unknown }).__hostile);
}

/** Elements that could run or fetch, `on*` attributes and `javascript:` links under `selector`. */
export function runnable(page: Page, selector: string): Promise<{ tags: string[]; handlers: string[]; scriptLinks: number }> {
  return page.locator(`${selector} *`).evaluateAll((els) => ({
    tags: els.map((el) => el.tagName.toLowerCase()).filter((tag) => ["script", "img", "iframe", "object", "embed", "style", "form"].includes(tag)),
    handlers: els.flatMap((el) => el.getAttributeNames().filter((name: string) => name.startsWith("on"))),
    scriptLinks: els.filter((el) => /^\s*javascript:/i.test(el.getAttribute("href") ?? "")).length,
  }));
}
