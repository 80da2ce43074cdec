/**
 * `/v1/responses`: OpenAI's Responses API as a translation over the engine's chat, with stored
 * responses (`store`, on by default) in the state database, read back, deleted, listed by input
 * item, and continued with `previous_response_id`.
 */
import Router from "@koa/router";
import type { Engine } from "../engine/types.js";
import { ShimmyError } from "../errors.js";
import type { ShimmyContext, ShimmyState } from "../http/request-context.js";
import type { Logger } from "../logger.js";
import { planChatGeneration, type ChatGeneration } from "../openai/chat-generation.js";
import { unixSeconds } from "../openai/convert-response.js";
import { SqliteConversationStore, type ConversationStore } from "../state/conversations-repo.js";
import { SqliteResponseStore, type ResponseStore, type StoredItem } from "../state/responses-repo.js";
import { openStateDb, type StateDb } from "../state/state-db.js";
import type { PluginToolSource } from "../tools/plugin-tool-source.js";
import type { DefaultPlugins } from "../tools/select-plugin-tools.js";
import { answerResponse } from "./answer-response.js";
import { BackgroundRuns, INTERRUPTED } from "./background-runs.js";
import { conversationsRouter } from "./conversation-routes.js";
import { itemsToTurns, toChatFields, toInputItems, toResponsesParam, toSampling } from "./convert-request.js";
import { parsePageQuery, toListBody } from "./list-query.js";
import { newOutputIds, newResponseId, type ResponseHead } from "./response-object.js";
import type { ResponseCreateRequest, ResponseObject } from "./types.js";
import { parseResponseRequest } from "./validate.js";
import { addFileSearchOutput, fileSearchTools, lastUserText, runFileSearch, type FileSearchRun } from "./file-search.js";
import type { VectorStores } from "../vectors/vector-stores.js";

/** Stored responses live this long, as OpenAI keeps them: 30 days. */
export const DEFAULT_RESPONSE_TTL_SECONDS = 30 * 24 * 3600;

/** Options of {@link responsesRouter}. */
export interface ResponsesRouterOptions {
  engine: Engine;
  responses: ResponseStore;
  conversations: ConversationStore;
  /** The runs of `background: true` responses. */
  runs: BackgroundRuns;
  /** The installed plugins whose tools a request may get (`plugins`, as on chat completions); none without it. */
  plugins?: PluginToolSource;
  /** `defaultPlugins` of config.json: the plugins a request that names none gets. @default none */
  defaultPlugins?: DefaultPlugins;
  /** Seconds a stored response is kept; null keeps it for good. @default DEFAULT_RESPONSE_TTL_SECONDS */
  ttlSeconds?: number | null;
  /** The clock, in ms since the epoch (tests move it). @default Date.now */
  now?: () => number;
  /** The vector stores the `file_search` tool searches. @default the tool is refused */
  vectors?: VectorStores;
}

/** The Responses API under `/v1`. */
export function responsesRouter(options: ResponsesRouterOptions): Router<ShimmyState> {
  const { engine, responses, conversations, runs } = options;
  const now = () => unixSeconds(options.now?.() ?? Date.now());
  const ttl = options.ttlSeconds === undefined ? DEFAULT_RESPONSE_TTL_SECONDS : options.ttlSeconds;
  const router = new Router<ShimmyState>({ prefix: "/v1/responses" });

  router.post("/", async (ctx) => {
    const request = parseResponseRequest(ctx.state.body);
    const conversationId = conversationOf(request);
    if (request.previous_response_id && conversationId) {
      throw new ShimmyError("invalid_parameter", "previous_response_id and conversation cannot both be given: a response continues one or the other", { param: "conversation" });
    }
    const { check, generate } = plan(request, ctx.state.requestId);
    const input = toInputItems(request.input);
    const history = await historyOf(request, conversationId);
    if (conversationId) checkNewConversationItems(input, history);
    const turns = [...(request.instructions ? [{ role: "system" as const, text: request.instructions }] : []), ...itemsToTurns([...history, ...input])];
    const head: ResponseHead = { id: newResponseId(), createdAt: now(), request, conversationId };
    const fileSearch = await searchFiles(request, [...history, ...input], ctx.state.abort.signal);
    if (fileSearch?.context) turns.splice(request.instructions ? 1 : 0, 0, { role: "system" as const, text: fileSearch.context });
    /** Keeps the response as it stands: stored (unless `store: false`), and appended to its conversation once it ended well. */
    const keep = async (response: ResponseObject) => {
      if (fileSearch) addFileSearchOutput(response, fileSearch);
      const output = response.output as unknown as StoredItem[];
      if (request.store !== false) {
        await responses.save({
          id: response.id, createdAt: response.created_at, expiresAt: ttl === null ? null : response.created_at + ttl, model: response.model, status: response.status,
          previousResponseId: response.previous_response_id, conversationId, body: response, input, output,
        });
      }
      if (conversationId && (response.status === "completed" || response.status === "incomplete")) {
        await conversations.append(conversationId, [...input, ...output], response.created_at);
      }
    };
    if (request.background === true) {
      ctx.state.log.model = request.model;
      ctx.body = await runs.start({ head, ids: newOutputIds(), check, keep, generate: (signal, onText, onToolCall, onTrace) => generate(turns, signal, { onText, onToolCall, onTrace }) });
      return;
    }
    const signal = ctx.state.abort.signal;
    await answerResponse(ctx as ShimmyContext, {
      stream: request.stream === true,
      head,
      ids: newOutputIds(),
      check,
      generate: (onText, onToolCall, onTrace) => generate(turns, signal, { onText, onToolCall, onTrace }),
      finished: keep,
      fileSearch,
    });
  });

  router.get("/:id", async (ctx) => {
    const id = ctx.params.id!;
    ctx.body = runs.snapshot(id) ?? (await responses.get(id, now())) ?? notFound(id, "response_id");
  });

  router.delete("/:id", async (ctx) => {
    // A background response still running stops first, so its end stores nothing.
    await runs.cancel(ctx.params.id!, false);
    if (!(await responses.delete(ctx.params.id!))) notFound(ctx.params.id!, "response_id");
    ctx.body = { id: ctx.params.id, object: "response", deleted: true };
  });

  router.post("/:id/cancel", async (ctx) => {
    const id = ctx.params.id!;
    const cancelled = await runs.cancel(id);
    if (cancelled) {
      ctx.body = cancelled;
      return;
    }
    const stored = ((await responses.get(id, now())) as ResponseObject | null) ?? notFound(id, "response_id");
    if (!stored.background) throw new ShimmyError("response_not_cancellable", `Response ${id} was not created with background: true; only background responses can be cancelled.`, { param: "response_id" });
    if (stored.status !== "cancelled") throw new ShimmyError("response_not_cancellable", `Cannot cancel a response that has already finished: ${id} is ${stored.status}.`, { param: "response_id" });
    ctx.body = stored;
  });

  router.get("/:id/input_items", async (ctx) => {
    const query = parsePageQuery(ctx.query);
    const page = await responses.inputItems(ctx.params.id!, query, now());
    if (!page) {
      if (!(await responses.get(ctx.params.id!, now()))) notFound(ctx.params.id!, "response_id");
      const param = query.after !== undefined ? "after" : "before";
      throw new ShimmyError("invalid_parameter", `${param} names no input item of response ${ctx.params.id}`, { param });
    }
    ctx.body = toListBody(page);
  });

  /**
   * How a request is generated: the chat core's checks of its tools and format (their refusals in
   * the Responses API's field names), and a plain chat or, when it is offered plugin tools, the
   * server's tool loop, as `/v1/chat/completions` runs them.
   */
  function plan(request: ResponseCreateRequest, requestId: string): ChatGeneration {
    const chat = { ...toChatFields(request), plugins: request.plugins ?? null, max_tool_rounds: request.max_tool_rounds ?? null, plugin_tool_choice: request.plugin_tool_choice ?? null };
    return planChatGeneration(chat, {
      engine, requestId, sampling: toSampling(request), renameError: toResponsesError,
      ...(options.plugins ? { plugins: options.plugins } : {}), ...(options.defaultPlugins ? { defaultPlugins: options.defaultPlugins } : {}),
    });
  }

  /** Runs the request's `file_search` tools, if any, on its last user text (file-search.ts). */
  async function searchFiles(request: ResponseCreateRequest, items: StoredItem[], signal: AbortSignal): Promise<FileSearchRun | null> {
    const tools = fileSearchTools(request);
    if (tools.length === 0) return null;
    if (!options.vectors) throw new ShimmyError("invalid_parameter", "file_search is not available on this server.", { param: "tools" });
    const include = (request as { include?: unknown }).include;
    return runFileSearch(tools, lastUserText(items), options.vectors, Array.isArray(include) && include.includes("file_search_call.results"), signal);
  }

  /** The stored items a request continues: its previous response's chain, or its conversation's items. */
  async function historyOf(request: ResponseCreateRequest, conversationId: string | null): Promise<StoredItem[]> {
    if (request.previous_response_id) {
      return (await responses.chainItems(request.previous_response_id, now())) ?? notFound(request.previous_response_id, "previous_response_id");
    }
    if (conversationId) {
      const items = await conversations.allItems(conversationId);
      if (!items) throw new ShimmyError("conversation_not_found", `Conversation with id '${conversationId}' not found.`, { param: "conversation" });
      return items;
    }
    return [];
  }

  return router;
}

function conversationOf(request: ResponseCreateRequest): string | null {
  const conversation = request.conversation;
  if (conversation === undefined || conversation === null) return null;
  return typeof conversation === "string" ? conversation : conversation.id;
}

/** A refusal of the chat core, naming the Responses fields. */
function toResponsesError(err: ShimmyError): ShimmyError {
  return new ShimmyError(err.code, toResponsesParam(err.message), { param: err.param === null ? null : toResponsesParam(err.param) });
}

/**
 * Item ids are how a conversation's items are read and deleted, so the input a response appends
 * may not repeat one (elsewhere a replayed id is just kept, as clients replay their own).
 */
function checkNewConversationItems(input: readonly StoredItem[], history: readonly StoredItem[]): void {
  const taken = new Set(history.map((item) => item.id));
  input.forEach((item, i) => {
    if (taken.has(item.id)) throw new ShimmyError("invalid_parameter", `input.${i}.id ${JSON.stringify(item.id)} is already an item of this conversation: leave the id out, or send only the new items`, { param: `input.${i}.id` });
    taken.add(item.id);
  });
}

function notFound(id: string, param: string): never {
  throw new ShimmyError("response_not_found", `Response with id '${id}' not found.`, { param });
}

/** Options of {@link responsesApi}. */
export interface ResponsesApiOptions {
  engine: Engine;
  /** The state database. @default a private in-memory one (in-process tests of other routes), so `store` still works and is never ignored */
  state?: StateDb;
  /** How long a stored response is kept; null keeps it for good. @default DEFAULT_RESPONSE_TTL_SECONDS */
  ttlSeconds?: number | null;
  plugins?: PluginToolSource;
  defaultPlugins?: DefaultPlugins;
  /** Background responses running at once. @default DEFAULT_MAX_BACKGROUND_RUNS */
  maxBackgroundRuns?: number;
  /** Where a background response that could not be kept is reported. */
  logger?: Logger;
  /** The vector stores of the `file_search` tool. */
  vectors?: VectorStores;
}

/** The routers of the Responses and Conversations APIs, and how to stop their background runs. */
export interface ResponsesApi {
  routers: Router<ShimmyState>[];
  /** Stops the background runs (each kept `failed`, if the database is still open); call before closing the database. */
  dispose(): Promise<void>;
}

/**
 * The routers of the Responses and Conversations APIs ({@link responsesRouter},
 * {@link conversationsRouter}) over the state database's repositories. Background responses a
 * previous process left running (it stopped or was killed) are marked `failed` first, with why.
 */
export function responsesApi(options: ResponsesApiOptions): ResponsesApi {
  const state = options.state ?? openStateDb({ file: ":memory:" });
  const conversations = new SqliteConversationStore(state.db);
  const responses = new SqliteResponseStore(state.db);
  const interrupted = responses.markUnfinished("failed", INTERRUPTED);
  if (interrupted.length > 0) options.logger?.warn({ event: "responses_interrupted", ids: interrupted }, `${interrupted.length} background responses were left unfinished by the last run; marked failed`);
  const runs = new BackgroundRuns({
    ...(options.maxBackgroundRuns === undefined ? {} : { maxRuns: options.maxBackgroundRuns }),
    onError: (err, responseId) => options.logger?.warn({ err, responseId }, "keeping a background response failed"),
  });
  const { ttlSeconds, plugins, defaultPlugins, vectors } = options;
  return {
    routers: [
      responsesRouter({
        engine: options.engine, responses, conversations, runs,
        ...(ttlSeconds === undefined ? {} : { ttlSeconds }), ...(plugins ? { plugins } : {}), ...(defaultPlugins ? { defaultPlugins } : {}), ...(vectors ? { vectors } : {}),
      }),
      conversationsRouter({ conversations }),
    ],
    dispose: () => runs.dispose(),
  };
}
