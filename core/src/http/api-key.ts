/**
 * With `--api-key`, every route but `/health` needs `Authorization: Bearer KEY`, or `x-api-key: KEY`
 * as Anthropic's clients send it.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { Middleware } from "koa";
import { ShimmyError } from "../errors.js";
import type { ShimmyState } from "./request-context.js";

const OPEN_PATHS = new Set(["/health"]);

function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

/**
 * The API key middleware. Keys are compared as SHA-256 digests with `timingSafeEqual`, so the
 * time taken tells nothing about the key, its length included.
 */
export function apiKeyCheck(apiKey: string | null): Middleware<ShimmyState> {
  if (apiKey === null) return (_ctx, next) => next();
  const expected = digest(apiKey);
  return async (ctx, next) => {
    if (!OPEN_PATHS.has(ctx.path)) {
      const key = /^Bearer\s+(.+)$/i.exec(ctx.get("authorization"))?.[1] ?? ctx.get("x-api-key");
      if (!key) {
        ctx.set("WWW-Authenticate", 'Bearer realm="shimmy"');
        throw new ShimmyError("invalid_api_key", "This server needs an API key: send it as \"Authorization: Bearer KEY\" (or \"x-api-key: KEY\").");
      }
      if (!timingSafeEqual(digest(key.trim()), expected)) {
        ctx.set("WWW-Authenticate", 'Bearer realm="shimmy", error="invalid_token"');
        throw new ShimmyError("invalid_api_key", "Incorrect API key provided.");
      }
    }
    await next();
  };
}
