/**
 * `POST /api/chat` and `POST /api/generate` on the Ollama listener: thin handlers that validate,
 * convert onto the same chat core as `/v1/chat/completions` (`openai/chat-generation.ts`: tools,
 * structured output, the server's plugin tools), and answer in Ollama's shape.
 */
import Router from "@koa/router";
import { parseKeepAlive, type KeepAlive } from "../config/duration.js";
import type { Engine, GenerationResult } from "../engine/types.js";
import { ShimmyError } from "../errors.js";
import type { ShimmyContext, ShimmyState } from "../http/request-context.js";
import { planChatGeneration } from "../openai/chat-generation.js";
import { toChatTurns } from "../openai/convert-request.js";
import { parseChatCompletionRequest } from "../openai/validate.js";
import type { PluginToolSource } from "../tools/plugin-tool-source.js";
import type { DefaultPlugins } from "../tools/select-plugin-tools.js";
import { generateAsChatBody, toChatCompletionBody, toSampling, wantsOllamaStream } from "./convert-request.js";
import { answerMessage, chatDelta, chatDone, doneFields, generateDelta, generateDone, loadDone, type ChunkHead } from "./convert-response.js";
import { resolveModelName } from "./model-names.js";
import { answerNdjson } from "./ndjson-answer.js";
import { refuseUnsupportedChat, refuseUnsupportedGenerate } from "./refusals.js";
import { parseOllamaChat, parseOllamaGenerate } from "./schemas.js";

/** Options of {@link ollamaGenerationRouter}. */
export interface OllamaGenerationOptions {
  engine: Engine;
  /** The installed plugins whose tools chat requests may get; none without it. */
  plugins?: PluginToolSource;
  /** `defaultPlugins` of config.json: the plugin tools a chat request gets. @default none */
  defaultPlugins?: DefaultPlugins;
}

/** `keep_alive` of a request; absent leaves the model's own. */
export function keepAliveOf(value: string | number | null | undefined): KeepAlive | undefined {
  return value === undefined || value === null ? undefined : parseKeepAlive(value, "keep_alive");
}

/** The id a client's model name stands for (`chat-llama:latest` → `chat-llama`). */
export function modelIdOf(engine: Engine, name: string): string {
  return resolveModelName(name, new Set(engine.listModels().map((m) => m.id)));
}

/**
 * The chat core's refusals reworded for Ollama's fields: it names `response_format` what Ollama
 * calls `format`.
 */
function renameForOllama(err: ShimmyError): ShimmyError {
  const rename = (text: string) => text.replace(/response_format(\.json_schema\.schema)?/g, "format");
  if (!err.param?.startsWith("response_format") && !err.message.includes("response_format")) return err;
  return new ShimmyError(err.code, rename(err.message), { param: err.param === null ? null : rename(err.param), headers: err.headers, cause: err });
}

function parseChat(body: Record<string, unknown>) {
  try {
    return parseChatCompletionRequest(body);
  } catch (err) {
    throw err instanceof ShimmyError ? renameForOllama(err) : err;
  }
}

/**
 * Loads the model before generating, so that the answer can tell the load's time apart
 * (`load_duration`), as Ollama's does. Returns when it was loaded (`performance.now()`).
 */
async function loadFirst(engine: Engine, model: string, keepAlive: KeepAlive | undefined): Promise<number> {
  // A route picks its model per request, and an upstream server loads its own: neither is loaded here.
  const source = engine.listModels().find((m) => m.id === model)?.source;
  if (source === "route" || source === "upstream") return performance.now();
  if (!engine.modelState(model).loaded) await engine.loadModel(model, keepAlive === undefined ? {} : { keepAlive });
  return performance.now();
}

/**
 * A request with nothing to generate loads the model, or with `keep_alive` 0 unloads it, as
 * Ollama's clients use it (`ollama run` preloads, Open WebUI unloads).
 */
async function loadOrUnload(engine: Engine, model: string, keepAlive: KeepAlive | undefined): Promise<"load" | "unload"> {
  if (keepAlive === 0) {
    engine.modelState(model); // An unknown model is a 404, not a quiet "unload".
    await engine.unloadModel(model);
    return "unload";
  }
  await engine.loadModel(model, keepAlive === undefined ? {} : { keepAlive });
  return "load";
}

/** The `/api/chat` and `/api/generate` routes. */
export function ollamaGenerationRouter(options: OllamaGenerationOptions): Router<ShimmyState> {
  const { engine } = options;
  const router = new Router<ShimmyState>();

  router.post("/api/chat", async (ctx) => {
    const request = parseOllamaChat(ctx.state.body);
    refuseUnsupportedChat(request);
    const keepAlive = keepAliveOf(request.keep_alive);
    const model = modelIdOf(engine, request.model);
    const head: ChunkHead = { model: request.model };
    if (!request.messages || request.messages.length === 0) {
      const reason = await loadOrUnload(engine, model, keepAlive);
      ctx.body = chatDone(head, { role: "assistant", content: "" }, loadDone(reason));
      return;
    }
    const chat = parseChat(toChatCompletionBody(request, model));
    const generation = planChatGeneration(chat, {
      engine, requestId: ctx.state.requestId, sampling: toSampling(request.options), renameError: renameForOllama,
      ...(options.plugins ? { plugins: options.plugins } : {}), ...(options.defaultPlugins ? { defaultPlugins: options.defaultPlugins } : {}),
      ...(keepAlive === undefined ? {} : { keepAlive }),
    });
    const turns = toChatTurns(chat.messages);
    const stream = wantsOllamaStream(request);
    const loadedAt = await loadFirst(engine, model, keepAlive);
    await answerNdjson(ctx as ShimmyContext, {
      model: request.model, stream, times: { startedAt: ctx.state.startedAt, loadedAt },
      generate: (onText, onToolCall) => generation.generate(turns, ctx.state.abort.signal, { onText, onToolCall }),
      check: generation.check,
      delta: (text) => chatDelta(head, { role: "assistant", content: text }),
      toolCalls: (calls) => chatDelta(head, answerMessage("", calls)),
      // A stream has sent its text and tool calls already; a whole answer carries them here.
      done: (result, times, text) => chatDone(head, answerMessage(text, stream ? undefined : result.toolCalls), doneFields(result, times)),
    });
  });

  router.post("/api/generate", async (ctx) => {
    const request = parseOllamaGenerate(ctx.state.body);
    refuseUnsupportedGenerate(request);
    const keepAlive = keepAliveOf(request.keep_alive);
    const model = modelIdOf(engine, request.model);
    const head: ChunkHead = { model: request.model };
    const prompt = request.prompt ?? "";
    const suffix = request.suffix ?? "";
    if (prompt === "" && suffix === "") {
      const reason = await loadOrUnload(engine, model, keepAlive);
      ctx.body = generateDone(head, "", loadDone(reason));
      return;
    }
    const signal = ctx.state.abort.signal;
    const sampling = toSampling(request.options);
    const keep = keepAlive === undefined ? {} : { keepAlive };
    let generate: (onText: (text: string) => void) => Promise<GenerationResult>;
    let check: ((result: GenerationResult) => void) | undefined;
    if (suffix !== "") {
      if (request.format) throw new ShimmyError("invalid_parameter", "format cannot be combined with suffix: fill in the middle writes plain text", { param: "format" });
      // Fill in the middle with the model's FIM tokens; a model without them is a 400 (`model_lacks_infill`).
      generate = (onText) => engine.infill({ model, prefix: prompt, suffix, sampling, signal, onText, ...keep });
    } else if (request.raw === true) {
      generate = (onText) => engine.complete({ model, prompt, sampling, signal, onText, ...keep });
    } else {
      // The prompt as a user turn of the model's own template. Plugin tools stay out: Ollama's
      // generate has no tools, and its answer has nowhere to put their calls.
      const chat = parseChat(generateAsChatBody(request, model));
      const generation = planChatGeneration(chat, { engine, requestId: ctx.state.requestId, sampling, renameError: renameForOllama, ...keep });
      const turns = toChatTurns(chat.messages);
      generate = (onText) => generation.generate(turns, signal, { onText });
      check = generation.check;
    }
    const loadedAt = await loadFirst(engine, model, keepAlive);
    await answerNdjson(ctx as ShimmyContext, {
      model: request.model, stream: wantsOllamaStream(request), times: { startedAt: ctx.state.startedAt, loadedAt },
      generate: (onText) => generate(onText),
      ...(check ? { check } : {}),
      delta: (text) => generateDelta(head, text),
      done: (result, times, text) => generateDone(head, text, doneFields(result, times)),
    });
  });

  return router;
}
