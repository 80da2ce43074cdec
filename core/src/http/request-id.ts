/** Gives each request an id, echoed as `x-request-id`, and an abort signal for client disconnects. */
import { randomUUID } from "node:crypto";
import type { Middleware } from "koa";
import type { ShimmyState } from "./request-context.js";

/** A client's own id is kept when it looks like one (so traces join up); anything else is replaced. */
const CLIENT_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The first middleware: request id, start time, and the abort controller. */
export function requestContext(): Middleware<ShimmyState> {
  return async (ctx, next) => {
    const incoming = ctx.get("x-request-id");
    ctx.state.requestId = CLIENT_ID.test(incoming) ? incoming : `req_${randomUUID().replace(/-/g, "")}`;
    ctx.state.startedAt = performance.now();
    ctx.state.log = {};
    const abort = new AbortController();
    ctx.state.abort = abort;
    // The response closing before it finished means the client went away: stop its generation.
    ctx.res.once("close", () => {
      if (!ctx.res.writableFinished) abort.abort(new Error("client closed the connection"));
    });
    ctx.set("x-request-id", ctx.state.requestId);
    await next();
  };
}
