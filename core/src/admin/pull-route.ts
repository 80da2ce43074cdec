/**
 * `POST /api/models/pull`: what `shimmy pull` does, on the server. The same `pullModel` writes the
 * same hub cache (the server's `HF_HOME`, `HF_ENDPOINT`, `HF_TOKEN`); progress comes as server-sent
 * events, or one JSON answer with `"stream": false`. When the files are in, the server rediscovers,
 * so the model is listed at once. A client that goes away cancels the pull; the partial file stays
 * for the next pull to resume.
 */
import { PassThrough } from "node:stream";
import Router from "@koa/router";
import type { Engine } from "../engine/types.js";
import { ShimmyError, type ErrorCode } from "../errors.js";
import type { ShimmyState } from "../http/request-context.js";
import { SSE_DONE, SSE_HEADERS, sseData, sseError } from "../http/sse.js";
import { MESSAGE_KEYWORD, checkBody, compileBodySchema } from "../http/validate-body.js";
import { PullError, pullModel, type PullErrorCode, type PullEvent, type PullResult } from "../models/pull/index.js";

/** Where the server pulls to and from; read from its environment by `config/environment.ts`. */
export interface PullSettings {
  /** The hub cache discovery scans. */
  hubCache: string;
  /** `HF_ENDPOINT`, without a trailing slash. */
  endpoint: string;
  /** `HF_TOKEN`. */
  token: string | null;
  /** `$SHIMMY_HOME/pulled.json`, the record `shimmy rm` reads. */
  recordFile: string;
}

/** Options of {@link adminPullRouter}. */
export interface AdminPullOptions {
  engine: Engine;
  /** Scans the model folders again, so the pulled model is listed. */
  rediscover(): Promise<void>;
  settings: PullSettings;
}

/** The body of `POST /api/models/pull`. */
interface PullBody {
  model: string;
  /** @default true */
  stream?: boolean;
}

const validatePullBody = compileBodySchema({
  type: "object",
  required: ["model"],
  properties: {
    model: { type: "string", minLength: 1, [MESSAGE_KEYWORD]: { minLength: "model must not be empty: send ORG/REPO[:QUANT] or hf.co/ORG/REPO:QUANT" } },
    stream: { type: "boolean" },
  },
});

/** The catalog code of each way a pull fails. */
const CODES: Record<PullErrorCode, ErrorCode> = {
  invalid_reference: "invalid_parameter",
  repo_not_found: "hub_repo_not_found",
  gated: "hub_gated",
  no_gguf: "hub_file_not_found",
  quant_not_found: "hub_file_not_found",
  checksum_mismatch: "pull_failed",
  download_failed: "pull_failed",
  timeout: "hub_timeout",
  disk_full: "disk_full",
  busy: "pull_in_progress",
};

/** A pull's failure as the catalog error a client sees; anything else is left as it is (a bug: 500). */
export function pullFailure(err: unknown): unknown {
  if (!(err instanceof PullError)) return err;
  const code = CODES[err.code];
  return new ShimmyError(code, err.message, { param: code === "invalid_parameter" ? "model" : null, cause: err });
}

/** One progress event on the wire (snake_case, as every `/api` body). */
function wireEvent(event: PullEvent): Record<string, unknown> {
  switch (event.type) {
    case "plan": {
      const { plan } = event;
      return {
        type: "plan", repo: plan.repo, quant: plan.quant, files: plan.files.map((f) => ({ path: f.path, size: f.size, sha256: f.sha256 })),
        total_bytes: plan.totalBytes, present_bytes: plan.presentBytes, license: plan.license, page: plan.page,
      };
    }
    case "progress":
      return { type: "progress", file: event.file, bytes: event.bytes, total_bytes: event.totalBytes, rate: event.bytesPerSecond, eta: event.etaSeconds };
    case "verified":
      return { type: "verified", file: event.file };
  }
}

/** The `/api/models/pull` route. */
export function adminPullRouter({ engine, rediscover, settings }: AdminPullOptions): Router<ShimmyState> {
  const router = new Router<ShimmyState>({ prefix: "/api/models" });

  /** The last event, and the whole answer of `stream: false`: what the pull left, and the ids discovery gives it. */
  const finish = async (model: string, result: PullResult) => {
    await rediscover();
    const ids = engine.listModels().filter((m) => m.path === result.paths[0] && !m.invalidReason).map((m) => m.id);
    return {
      type: "done", model, repo: result.plan.repo, quant: result.plan.quant, models: ids, paths: result.paths, commit: result.commit,
      total_bytes: result.plan.totalBytes, already_present: result.alreadyPresent, license: result.plan.license,
    };
  };

  router.post("/pull", async (ctx) => {
    const body = checkBody<PullBody>(validatePullBody, ctx.state.body);
    ctx.state.log.model = body.model;
    const stream = body.stream !== false;
    ctx.state.log.stream = stream;
    const out = new PassThrough();
    let announced: () => void = () => undefined;
    const planned = new Promise<"plan">((resolve) => (announced = () => resolve("plan")));
    const pulling = pullModel({
      model: body.model,
      ...settings,
      signal: ctx.state.abort.signal,
      onEvent: (event) => {
        if (event.type === "plan") announced();
        if (stream && !out.destroyed && !out.writableEnded) out.write(sseData(wireEvent(event)));
      },
    }).then((result) => finish(body.model, result));
    ctx.state.work = pulling.catch(() => undefined);

    if (!stream) {
      ctx.body = await pulling.catch((err: unknown) => { throw pullFailure(err); });
      return;
    }
    // A pull refused before its plan (unknown repo, gated, busy) is an ordinary error response.
    const first = await Promise.race([planned, pulling.then(() => "done" as const, () => "failed" as const)]);
    if (first === "failed") await pulling.catch((err: unknown) => { throw pullFailure(err); });
    ctx.set(SSE_HEADERS);
    ctx.body = out;
    // Once the client is gone the stream is destroyed: nothing is left to tell.
    pulling.then(
      (answer) => out.destroyed || out.end(sseData(answer) + SSE_DONE),
      (err: unknown) => out.destroyed || out.end(sseError(pullFailure(err)) + SSE_DONE),
    );
  });

  return router;
}
