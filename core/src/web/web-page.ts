/**
 * The page at `/`: a chat, the models and the plugins in a browser (its sources are in
 * `core/web/`, bundled at build time). Static files only: the page reads and changes everything
 * through the same `/v1` and `/api` routes as any other client, from the server's own origin, which
 * the Origin check lets through. Its script and style sheet come from this origin alone, under a
 * Content-Security-Policy that allows nothing else: no inline script, no other host, no frames.
 *
 * The API key: app.ts mounts these routes before the key check, so the page loads on a server
 * started with `--api-key`. Its files hold no data (the same bytes for everyone who installed this
 * version), and a page that cannot load cannot ask for the key. Once loaded, the page asks for the
 * key when a route answers 401, keeps it in sessionStorage (gone when the tab closes) and sends it
 * as `Authorization: Bearer` on every request; every route with data still needs it.
 */
import Router from "@koa/router";
import type { Context } from "koa";
import { ShimmyError } from "../errors.js";
import type { ShimmyState } from "../http/request-context.js";
import { DEFAULT_WEB_DIR, readWebFiles, type WebFile, type WebFiles } from "./web-files.js";

/** The policy of the page and its files: this origin's script, styles and API, nothing else. */
export const WEB_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/** Where the page's files are served; their names hold a hash of their content. */
export const ASSETS_PREFIX = "/assets/";

/** A hashed name never changes content, so a browser may keep it for good. */
const IMMUTABLE = "public, max-age=31536000, immutable";

/** Options of {@link webPageRouter}. */
export interface WebPageOptions {
  /** The folder the build wrote. @default core/dist/public */
  dir?: string;
}

function securityHeaders(ctx: Context): void {
  ctx.set("Content-Security-Policy", WEB_CSP);
  ctx.set("X-Content-Type-Options", "nosniff");
  ctx.set("Referrer-Policy", "no-referrer");
  ctx.set("X-Frame-Options", "DENY");
  ctx.set("Cross-Origin-Opener-Policy", "same-origin");
  ctx.set("Cross-Origin-Resource-Policy", "same-origin");
}

function send(ctx: Context, file: WebFile, cacheControl: string): void {
  ctx.type = file.type;
  ctx.set("Cache-Control", cacheControl);
  ctx.body = file.body;
}

/**
 * `GET /` (the page) and `GET /assets/NAME` (its files); any other path goes on to the next
 * middleware. An unknown asset is a 404 in the API's error shape.
 *
 * @example
 * app.use(webPageRouter().routes()); // before the API key check
 */
export function webPageRouter(options: WebPageOptions = {}): Router<ShimmyState> {
  const dir = options.dir ?? DEFAULT_WEB_DIR;
  let reading: Promise<WebFiles | null> | undefined;
  // Read on the first request and kept; a page not built yet is looked for again on the next one.
  const files = async (): Promise<WebFiles | null> => {
    reading ??= readWebFiles(dir);
    const found = await reading;
    if (found === null) reading = undefined;
    return found;
  };

  const router = new Router<ShimmyState>();
  router.get("/", async (ctx) => {
    securityHeaders(ctx);
    const page = await files();
    if (!page) throw new ShimmyError("not_found", `The web page was not built (${dir} has no index.html): run npm run build --workspace core.`);
    send(ctx, page.index, "no-cache");
  });
  router.get([ASSETS_PREFIX, `${ASSETS_PREFIX}*rest`], async (ctx) => {
    securityHeaders(ctx);
    // The raw name: the map holds only the build's plain names, so nothing decoded can match.
    const asset = (await files())?.assets.get(ctx.path.slice(ASSETS_PREFIX.length));
    if (!asset) {
      throw new ShimmyError("not_found", `No file ${ctx.path}: the page's files are named after their content, so a name from an older version is gone; reload the page.`);
    }
    send(ctx, asset, IMMUTABLE);
  });
  return router;
}
