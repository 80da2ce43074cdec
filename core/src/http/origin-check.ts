/**
 * Refuses browser requests from origins that are not allowed, before anything runs, and gives
 * allowed ones CORS headers and preflight answers. On `/v1` pages on localhost, 127.0.0.1 and
 * [::1] (any port) are allowed, as Ollama does, so a user's local web apps work; on everything
 * else (the admin `/api`) only the server's own pages are. `--cors-origins` adds origins to both.
 */
import type { Middleware } from "koa";
import { ShimmyError } from "../errors.js";
import { LOOPBACK_NAMES } from "./loopback.js";
import type { ShimmyState } from "./request-context.js";

/** Options of {@link originCheck}. */
export interface OriginCheckOptions {
  /** Extra allowed origins (`scheme://host[:port]`); `*` allows every origin. */
  corsOrigins: readonly string[];
  /**
   * Whether loopback pages may call every path, not only `/v1` (the Ollama listener, as Ollama
   * allows them). @default false
   */
  loopbackEverywhere?: boolean;
  /** Origins allowed by scheme, written `app://*` (desktop apps' own schemes, on the Ollama listener). @default none */
  schemeOrigins?: readonly string[];
}

const ALLOWED_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS";
const ALLOWED_HEADERS = "Authorization, Content-Type, X-Request-Id, OpenAI-Organization, OpenAI-Project, OpenAI-Beta, X-Stainless-Lang, X-Stainless-Package-Version, X-Stainless-OS, X-Stainless-Arch, X-Stainless-Runtime, X-Stainless-Runtime-Version, X-Stainless-Retry-Count, X-Stainless-Timeout";
const EXPOSED_HEADERS = "X-Request-Id, Retry-After";

/** An origin in its canonical form (`http://localhost:5173`), or null when it is not one. */
function canonicalOrigin(origin: string): string | null {
  try {
    const url = new URL(origin);
    if (url.protocol !== "http:" && url.protocol !== "https:") return null;
    return url.origin;
  } catch {
    return null;
  }
}

/** `app:` of `app://obsidian.md`; "" when the header has no scheme. */
function schemeOf(origin: string): string {
  return /^[a-z][a-z0-9+.-]*:/i.exec(origin)?.[0].toLowerCase() ?? "";
}

function isLoopbackOrigin(origin: string): boolean {
  return LOOPBACK_NAMES.has(new URL(origin).hostname);
}

/** The Origin check and CORS middleware. */
export function originCheck(options: OriginCheckOptions): Middleware<ShimmyState> {
  const anyOrigin = options.corsOrigins.includes("*");
  const extra = new Set(options.corsOrigins.map(canonicalOrigin).filter((o): o is string => o !== null));
  const schemes = new Set((options.schemeOrigins ?? []).map((pattern) => pattern.replace(/\/\/\*$/, "")));

  return async (ctx, next) => {
    const header = ctx.get("origin");
    if (header === "") return next();
    const origin = canonicalOrigin(header);
    const isOpenAI = ctx.path === "/v1" || ctx.path.startsWith("/v1/");
    const ownOrigin = `${ctx.protocol}://${ctx.host}`;
    const allowed =
      schemes.has(schemeOf(header)) ||
      (origin !== null &&
        (anyOrigin || extra.has(origin) || origin === ownOrigin || ((isOpenAI || options.loopbackEverywhere === true) && isLoopbackOrigin(origin))));
    if (!allowed) {
      throw new ShimmyError(
        "forbidden_origin",
        `Requests from the web page origin "${header}" are not allowed on ${isOpenAI ? "/v1" : ctx.path}. ` +
          "If you trust that page, start the server with --cors-origins ORIGIN.",
      );
    }
    ctx.set("Access-Control-Allow-Origin", header);
    ctx.vary("Origin");
    ctx.set("Access-Control-Expose-Headers", EXPOSED_HEADERS);
    if (ctx.method === "OPTIONS" && ctx.get("access-control-request-method") !== "") {
      ctx.set("Access-Control-Allow-Methods", ALLOWED_METHODS);
      ctx.set("Access-Control-Allow-Headers", ctx.get("access-control-request-headers") || ALLOWED_HEADERS);
      ctx.set("Access-Control-Max-Age", "600");
      ctx.status = 204;
      return;
    }
    await next();
  };
}
