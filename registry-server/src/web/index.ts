/**
 * The registry's web pages: `/` lists and searches the plugins, `/-/web/package/NAME` (and
 * `/-/web/package/NAME/v/VERSION`) shows one, `/-/web/style.css` and `/-/web/favicon.svg` are the
 * static files. Server-rendered HTML from the registry's own records, no script at all: every
 * response carries a Content-Security-Policy that forbids it, the README is sanitized, and every
 * other value is escaped by the `html` template.
 */
import Router from "@koa/router";
import type { Context } from "koa";
import { splitNamePath } from "../names.js";
import type { Registry } from "../registry.js";
import { WEB_ASSETS } from "./assets.js";
import { html, trustedHtml, type SafeHtml } from "./html.js";
import { INDEX_PAGE_SIZE, indexPage } from "./index-page.js";
import { layout, WEB_PREFIX } from "./layout.js";
import { packagePage } from "./package-page.js";
import { renderReadme } from "./readme.js";

/**
 * The policy of every web response: nothing but this origin's style sheet and icon, https images
 * in READMEs, no script, no frames, forms only to this origin.
 */
export const WEB_CSP = [
  "default-src 'none'",
  "script-src 'none'",
  "style-src 'self'",
  "img-src 'self' https:",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join("; ");

/** Options of {@link webRoutes}. */
export interface WebRoutesOptions {
  registry: Registry;
  /** The registry's origin, for tarball links and install commands. */
  baseUrl: (ctx: Context) => string;
  /** How many rendered READMEs are kept. @default 200 */
  readmeCacheSize?: number;
}

function securityHeaders(ctx: Context): void {
  ctx.set("Content-Security-Policy", WEB_CSP);
  ctx.set("X-Content-Type-Options", "nosniff");
  ctx.set("Referrer-Policy", "no-referrer");
  ctx.set("X-Frame-Options", "DENY");
}

function sendPage(ctx: Context, status: number, document: string): void {
  securityHeaders(ctx);
  ctx.status = status;
  ctx.type = "text/html; charset=utf-8";
  ctx.set("Cache-Control", "no-cache");
  ctx.body = document;
}

function notFound(ctx: Context, message: SafeHtml): void {
  sendPage(ctx, 404, layout({ title: "Not found", main: html`<h1>Not found</h1><p>${message}</p><p><a href="/">All plugins</a></p>` }));
}

/** `NAME` or `NAME/v/VERSION` after `/-/web/package/`, scoped names included; null when malformed. */
export function parsePackagePage(rest: string): { name: string; version?: string } | null {
  const split = splitNamePath(rest);
  if (!split) return null;
  const { name, tail } = split;
  if (tail.length === 0) return { name };
  if (tail.length === 2 && tail[0] === "v" && tail[1] !== "") return { name, version: tail[1]! };
  return null;
}

/**
 * The web pages' router; mount it before the package routes (which take every other path).
 *
 * @example
 * app.use(webRoutes({ registry, baseUrl: (ctx) => `${ctx.protocol}://${ctx.host}` }).routes());
 */
export function webRoutes(options: WebRoutesOptions): Router {
  const { registry } = options;
  const cacheSize = options.readmeCacheSize ?? 200;
  // Rendering a README costs far more than the rest of the page: keep each one until it changes.
  const readmes = new Map<string, { source: string; html: SafeHtml }>();
  const readmeHtml = (name: string, source: string): SafeHtml => {
    const cached = readmes.get(name);
    if (cached?.source === source) return cached.html;
    const rendered = trustedHtml(renderReadme(source));
    readmes.delete(name);
    readmes.set(name, { source, html: rendered });
    if (readmes.size > cacheSize) readmes.delete(readmes.keys().next().value!);
    return rendered;
  };

  const router = new Router();
  router.get("/", (ctx) => {
    const query = typeof ctx.query.q === "string" ? ctx.query.q.trim().slice(0, 200) : "";
    const asked = Number(typeof ctx.query.page === "string" ? ctx.query.page : 0);
    const page = Number.isInteger(asked) && asked >= 0 ? asked : 0;
    const result = registry.search({ text: query, size: INDEX_PAGE_SIZE, from: page * INDEX_PAGE_SIZE }, options.baseUrl(ctx));
    sendPage(ctx, 200, indexPage({ result, query, page }));
  });
  router.get(`${WEB_PREFIX}/package/*rest`, (ctx) => {
    const rest = ctx.params.rest;
    const target = typeof rest === "string" ? parsePackagePage(rest) : null;
    if (!target) return notFound(ctx, html`That is not a package name.`);
    const doc = registry.packument(target.name, options.baseUrl(ctx));
    if (!doc) return notFound(ctx, html`No plugin is published as “${target.name}”.`);
    const version = target.version ?? doc["dist-tags"].latest ?? Object.keys(doc.versions).at(-1);
    if (version === undefined || !doc.versions[version]) return notFound(ctx, html`${target.name} has no version ${target.version ?? ""}.`);
    sendPage(ctx, 200, packagePage({ packument: doc, version, baseUrl: options.baseUrl(ctx), ...(doc.readme ? { readmeHtml: readmeHtml(doc.name, doc.readme) } : {}) }));
  });
  router.get(`${WEB_PREFIX}/:file`, (ctx) => {
    const asset = Object.hasOwn(WEB_ASSETS, ctx.params.file!) ? WEB_ASSETS[ctx.params.file!] : undefined;
    if (!asset) return notFound(ctx, html`There is no such page.`);
    securityHeaders(ctx);
    ctx.type = asset.type;
    ctx.set("Cache-Control", "public, max-age=3600");
    ctx.body = asset.body;
  });
  router.get([WEB_PREFIX, `${WEB_PREFIX}/`], (ctx) => ctx.redirect("/"));
  return router;
}
