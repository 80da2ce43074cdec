/**
 * Reads request bodies as JSON only, up to a size limit. Anything else is refused before a handler
 * runs: a cross-site HTML form can only send form or text bodies, so it never reaches one.
 */
import type { Middleware } from "koa";
import { ShimmyError } from "../errors.js";
import type { ShimmyState } from "./request-context.js";

const METHODS_WITH_BODY = new Set(["POST", "PUT", "PATCH"]);

function tooLarge(maxBytes: number): ShimmyError {
  return new ShimmyError("request_too_large", `The request body is larger than the server's limit of ${maxBytes} bytes (--max-body).`);
}

/** Parses JSON bodies into `ctx.state.body`. */
export function jsonBody(maxBytes: number): Middleware<ShimmyState> {
  return async (ctx, next) => {
    if (!METHODS_WITH_BODY.has(ctx.method)) return next();
    // The one exception to JSON-only bodies: OpenAI's file upload is multipart. It is safe because
    // the Host, Origin and API-key checks run before this (app.ts): a cross-site form's request
    // carries its page's Origin and is refused with 403 before its body is read. The route reads
    // the body itself, bounded by --max-file-bytes (openai/files-routes.ts).
    if (ctx.method === "POST" && ctx.path === "/v1/files" && ctx.is("multipart/form-data")) return next();
    const declared = Number(ctx.get("content-length") || 0);
    if (declared > maxBytes) {
      ctx.set("Connection", "close");
      throw tooLarge(maxBytes);
    }
    // A POST with no body and no type (`POST /v1/responses/{id}/cancel`, as clients send it) has nothing to parse.
    if (declared === 0 && !ctx.get("content-type") && !ctx.get("transfer-encoding")) return next();
    if (!ctx.is("application/json")) {
      throw new ShimmyError(
        "unsupported_media_type",
        `The body must be JSON sent with "Content-Type: application/json" (got "${ctx.get("content-type") || "none"}").`,
      );
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxBytes) {
        ctx.set("Connection", "close");
        throw tooLarge(maxBytes);
      }
      chunks.push(chunk);
    }
    const text = Buffer.concat(chunks).toString("utf8");
    try {
      ctx.state.body = JSON.parse(text);
    } catch (err) {
      throw new ShimmyError("invalid_json", `The body is not valid JSON: ${(err as Error).message}.`);
    }
    return next();
  };
}
