/**
 * `/api/models`: what discovery found and what is loaded, and loading, unloading and rediscovering
 * models at runtime. Thin handlers over the engine; the same error rendering as `/v1`.
 */
import { PassThrough } from "node:stream";
import Router from "@koa/router";
import { parseKeepAlive } from "../config/duration.js";
import type { Engine, ModelInfo, UpstreamMemberStatus } from "../engine/types.js";
import type { ShimmyState } from "../http/request-context.js";
import { SSE_DONE, SSE_HEADERS, sseData, sseError } from "../http/sse.js";
import { MESSAGE_KEYWORD, checkBody, compileBodySchema } from "../http/validate-body.js";

/** A model as `/api/models` lists it. */
export interface AdminModel {
  id: string;
  path: string;
  source: string;
  size_bytes: number;
  architecture: string | null;
  quantization: string | null;
  parameter_count: number | null;
  context_length: number | null;
  capabilities: string[];
  loaded: boolean;
  memory_bytes: number | null;
  expires_at: string | null;
  /** The process id of its runner, while loaded. */
  runner_pid?: number;
  /** Its runner's last crash (ISO time, how it ended, crashes in a row). */
  last_crash?: { at: string; reason: string; in_a_row: number };
  invalid_reason?: string;
  /** For a model served by upstream servers: each one's health and requests in flight. */
  upstreams?: UpstreamMemberStatus[];
}

/** Options of {@link adminModelsRouter}. */
export interface AdminModelsOptions {
  engine: Engine;
  /** Scans the model folders again and hands the result to the engine. */
  rediscover(): Promise<void>;
}

function adminModel(engine: Engine, info: ModelInfo): AdminModel {
  const state = info.invalidReason ? { loaded: false, memoryBytes: null, expiresAt: null } : engine.modelState(info.id);
  return {
    id: info.id,
    path: info.path,
    source: info.source,
    size_bytes: info.sizeBytes,
    architecture: info.architecture,
    quantization: info.quantization,
    parameter_count: info.parameterCount,
    context_length: info.trainedContextLength,
    capabilities: info.capabilities,
    loaded: state.loaded,
    memory_bytes: state.memoryBytes,
    expires_at: state.expiresAt === null ? null : new Date(state.expiresAt).toISOString(),
    // The runner process that holds it (engine/runner/), and its last crash.
    ...(state.runnerPid ? { runner_pid: state.runnerPid } : {}),
    ...(state.lastCrash ? { last_crash: { at: new Date(state.lastCrash.at).toISOString(), reason: state.lastCrash.reason, in_a_row: state.lastCrash.inARow } } : {}),
    ...(info.invalidReason ? { invalid_reason: info.invalidReason } : {}),
    ...(info.upstreams ? { upstreams: info.upstreams } : {}),
  };
}

/** The body of `POST /api/models/load` and `/unload`; `keep_alive` is parsed by `config/duration.ts`. */
interface ModelBody {
  model: string;
  keep_alive?: unknown;
}

const validateModelBody = compileBodySchema({
  type: "object",
  required: ["model"],
  properties: {
    model: { type: "string", minLength: 1, [MESSAGE_KEYWORD]: { minLength: "model must not be empty: send a model id from GET /api/models" } },
  },
});

/** The `/api/models` routes. */
export function adminModelsRouter({ engine, rediscover }: AdminModelsOptions): Router<ShimmyState> {
  const router = new Router<ShimmyState>({ prefix: "/api/models" });
  const list = () => ({ models: engine.listModels().map((info) => adminModel(engine, info)) });

  router.get("/", (ctx) => {
    ctx.body = list();
  });

  router.post("/discover", async (ctx) => {
    await rediscover();
    ctx.body = list();
  });

  router.post("/unload", async (ctx) => {
    const { model } = checkBody<ModelBody>(validateModelBody, ctx.state.body);
    ctx.state.log.model = model;
    await engine.unloadModel(model);
    ctx.body = { model, loaded: false };
  });

  router.post("/load", async (ctx) => {
    const body = checkBody<ModelBody>(validateModelBody, ctx.state.body);
    const { model } = body;
    ctx.state.log.model = model;
    const keepAlive = body.keep_alive === undefined || body.keep_alive === null ? undefined : parseKeepAlive(body.keep_alive, "keep_alive");
    const answer = (state: Awaited<ReturnType<Engine["loadModel"]>>) => ({
      model,
      loaded: true,
      memory_bytes: state.memoryBytes,
      expires_at: state.expiresAt === null ? null : new Date(state.expiresAt).toISOString(),
      load_ms: state.loadMs,
    });

    if (!ctx.get("accept").includes("text/event-stream")) {
      ctx.body = answer(await engine.loadModel(model, { keepAlive }));
      return;
    }
    // Progress as server-sent events, for the CLI's progress bar.
    const out = new PassThrough();
    const loading = engine.loadModel(model, {
      keepAlive,
      onProgress: (progress) => {
        if (!out.writableEnded) out.write(sseData({ progress: Math.round(progress * 1000) / 1000 }));
      },
    });
    // A model that is unknown or refused fails at once: answer it as an ordinary error.
    await Promise.race([loading, new Promise((resolve) => setImmediate(resolve))]);
    ctx.set(SSE_HEADERS);
    ctx.body = out;
    ctx.state.work = loading;
    loading.then(
      (state) => out.end(sseData(answer(state)) + SSE_DONE),
      (err: unknown) => out.end(sseError(err) + SSE_DONE),
    );
  });

  return router;
}
