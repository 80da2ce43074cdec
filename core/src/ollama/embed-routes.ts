/**
 * `POST /api/embed` and the older `POST /api/embeddings` on the Ollama listener, over the engine's
 * embedding queue (the same as `/v1/embeddings`).
 */
import Router from "@koa/router";
import type { Engine, EmbeddingResult } from "../engine/types.js";
import type { ShimmyContext, ShimmyState } from "../http/request-context.js";
import { keepAliveOf, modelIdOf } from "./generation-routes.js";
import { parseOllamaEmbed, parseOllamaEmbeddings } from "./schemas.js";

const nanoseconds = (ms: number) => Math.round(ms * 1e6);

/** Runs one embedding request with the request log's fields filled in. */
async function embed(ctx: ShimmyContext, engine: Engine, request: { model: string; inputs: string[]; dimensions?: number; keepAlive: ReturnType<typeof keepAliveOf> }): Promise<EmbeddingResult> {
  ctx.state.log.model = request.model;
  const work = engine.embed({
    model: request.model, inputs: request.inputs, signal: ctx.state.abort.signal,
    ...(request.dimensions === undefined ? {} : { dimensions: request.dimensions }),
    ...(request.keepAlive === undefined ? {} : { keepAlive: request.keepAlive }),
  });
  ctx.state.work = work;
  const result = await work;
  ctx.state.log.promptTokens = result.promptTokens;
  return result;
}

/** The embedding routes. */
export function ollamaEmbedRouter(engine: Engine): Router<ShimmyState> {
  const router = new Router<ShimmyState>();

  // Ollama cuts inputs longer than the context when `truncate` is true (its default); the engine
  // refuses them with a 400 naming the input instead, as `/v1/embeddings` does, rather than embed
  // part of a text without saying so.
  router.post("/api/embed", async (ctx) => {
    const request = parseOllamaEmbed(ctx.state.body);
    const result = await embed(ctx as ShimmyContext, engine, {
      model: modelIdOf(engine, request.model),
      inputs: typeof request.input === "string" ? [request.input] : request.input,
      keepAlive: keepAliveOf(request.keep_alive),
      ...(typeof request.dimensions === "number" ? { dimensions: request.dimensions } : {}),
    });
    ctx.body = {
      model: request.model,
      embeddings: result.vectors.map((vector) => Array.from(vector)),
      total_duration: nanoseconds(performance.now() - ctx.state.startedAt),
      // The load is not timed apart here: the embedding queue loads the model as part of the request.
      load_duration: 0,
      prompt_eval_count: result.promptTokens,
    };
  });

  router.post("/api/embeddings", async (ctx) => {
    const request = parseOllamaEmbeddings(ctx.state.body);
    // Ollama answers an empty prompt with an empty vector.
    if (request.prompt === "") {
      ctx.body = { embedding: [] };
      return;
    }
    const result = await embed(ctx as ShimmyContext, engine, { model: modelIdOf(engine, request.model), inputs: [request.prompt], keepAlive: keepAliveOf(request.keep_alive) });
    ctx.body = { embedding: Array.from(result.vectors[0]!) };
  });

  return router;
}
