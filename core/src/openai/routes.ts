/** The `/v1` routes: thin handlers that validate, convert, and call the engine. */
import Router from "@koa/router";
import { parseKeepAlive, type KeepAlive } from "../config/duration.js";
import type { Engine } from "../engine/types.js";
import { ShimmyError } from "../errors.js";
import type { ShimmyContext, ShimmyState } from "../http/request-context.js";
import { answer } from "./answer.js";
import { planChatGeneration } from "./chat-generation.js";
import { toChatTurns, toPrompt, toSamplingParams, wantsStream, wantsUsageChunk } from "./convert-request.js";
import { chatCompletionResponse, completionResponse, newCompletionId, unixSeconds } from "./convert-response.js";
import { embeddingResponse, parseEmbeddingRequest, singleInputError } from "./embeddings.js";
import { embedInputs, type PluginEmbedderSource } from "../plugins/embedders.js";
import { pluginEmbedderObjects, withPluginEmbedders } from "./embedder-models.js";
import { modelList, modelObject } from "./models.js";
import { createChatStream, createCompletionStream } from "./sse.js";
import { parseChatCompletionRequest, parseCompletionRequest } from "./validate.js";
import type { PluginToolSource } from "../tools/plugin-tool-source.js";
import type { DefaultPlugins } from "../tools/select-plugin-tools.js";
import { toolTraceField } from "../tools/tool-loop.js";

/** Ollama's `keep_alive`, which local clients also send to OpenAI routes; absent leaves the model's own. */
function keepAliveOf(body: unknown): KeepAlive | undefined {
  const value = (body as { keep_alive?: unknown } | null)?.keep_alive;
  return value === undefined || value === null ? undefined : parseKeepAlive(value, "keep_alive");
}

/**
 * The model id of a `/v1/models/{id}` path. Broken percent-encoding (`%`, `%zz`) names no served
 * model: it is kept as sent, so the lookup answers 404 instead of `decodeURIComponent` throwing.
 */
function decodeModelId(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** Options of {@link openAIRouter}. */
export interface OpenAIRouterOptions {
  /** The installed plugins whose tools chat requests may get; none without it. */
  plugins?: PluginToolSource;
  /** `defaultPlugins` of config.json: the plugins a request that names none gets. @default none */
  defaultPlugins?: DefaultPlugins;
  /** The installed plugins whose embedders `/v1/embeddings` serves as `PLUGIN/EMBEDDER`; none without it. */
  embedders?: PluginEmbedderSource;
}

/** The OpenAI-compatible API under `/v1`. */
export function openAIRouter(engine: Engine, options: OpenAIRouterOptions = {}): Router<ShimmyState> {
  const router = new Router<ShimmyState>({ prefix: "/v1" });

  router.get("/models", (ctx) => {
    ctx.body = withPluginEmbedders(modelList(engine.listModels()), options.embedders);
  });

  router.get("/models/*id", (ctx) => {
    const id = decodeModelId(ctx.path.slice("/v1/models/".length));
    const info = engine.listModels().find((m) => m.id === id && !m.invalidReason) ?? pluginEmbedderObjects(options.embedders).find((m) => m.id === id);
    if (!info) {
      throw new ShimmyError("model_not_found", `The model "${id}" does not exist; GET /v1/models lists the served ids.`, {
        param: "model",
      });
    }
    ctx.body = "owned_by" in info ? info : modelObject(info);
  });

  router.post("/chat/completions", async (ctx) => {
    const request = parseChatCompletionRequest(ctx.state.body);
    const keepAlive = keepAliveOf(ctx.state.body);
    const turns = toChatTurns(request.messages);
    const generation = planChatGeneration(request, {
      engine, requestId: ctx.state.requestId,
      ...(options.plugins ? { plugins: options.plugins } : {}), ...(options.defaultPlugins ? { defaultPlugins: options.defaultPlugins } : {}),
      ...(keepAlive === undefined ? {} : { keepAlive }),
    });
    const meta = { id: newCompletionId("chatcmpl"), created: unixSeconds(), model: request.model };
    const signal = ctx.state.abort.signal;
    await answer(ctx as ShimmyContext, {
      model: request.model,
      stream: wantsStream(request),
      events: createChatStream({ ...meta, includeUsage: wantsUsageChunk(request) }),
      render: (result) => ({ ...chatCompletionResponse({ ...meta, result }), ...toolTraceField(result) }),
      check: generation.check,
      generate: (onText, onToolCall, onTrace) => generation.generate(turns, signal, { onText, onToolCall, onTrace }),
    });
  });

  router.post("/completions", async (ctx) => {
    const request = parseCompletionRequest(ctx.state.body);
    const keepAlive = keepAliveOf(ctx.state.body);
    const meta = { id: newCompletionId("cmpl"), created: unixSeconds(), model: request.model };
    await answer(ctx as ShimmyContext, {
      model: request.model,
      stream: wantsStream(request),
      events: createCompletionStream({ ...meta, includeUsage: wantsUsageChunk(request) }),
      render: (result) => completionResponse({ ...meta, result }),
      generate: (onText) => {
        const options = { model: request.model, keepAlive, sampling: toSamplingParams(request), signal: ctx.state.abort.signal, onText };
        // A suffix, even "", makes it fill in the middle: the answer goes between the prompt and it.
        const suffix = request.suffix;
        return typeof suffix === "string" ? engine.infill({ ...options, prefix: toPrompt(request), suffix }) : engine.complete({ ...options, prompt: toPrompt(request) });
      },
    });
  });

  router.post("/embeddings", async (ctx) => {
    const request = parseEmbeddingRequest(ctx.state.body);
    const { log } = ctx.state;
    log.model = request.model;
    const { model, inputs, dimensions } = request;
    const work = embedInputs(
      { engine, ...(options.embedders ? { embedders: options.embedders } : {}) },
      { model, inputs, dimensions, signal: ctx.state.abort.signal, keepAlive: keepAliveOf(ctx.state.body), requestId: ctx.state.requestId },
    );
    ctx.state.work = work;
    const result = await work.catch((err: unknown) => {
      throw request.single ? singleInputError(err) : err;
    });
    log.promptTokens = result.promptTokens;
    ctx.body = embeddingResponse({ model, result, encodingFormat: request.encodingFormat });
  });

  return router;
}
