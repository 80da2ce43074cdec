/**
 * `/v1/responses`: OpenAI's Responses API as a translation over the engine's chat, with stored
 * responses (`store`, on by default) in the state database, read back, deleted, listed by input
 * item, and continued with `previous_response_id`.
 */
import Router from "@koa/router";
import type { Engine } from "../engine/types.js";
import { ShimmyError } from "../errors.js";
import type { ShimmyContext, ShimmyState } from "../http/request-context.js";
import { unixSeconds } from "../openai/convert-response.js";
import { parseStructured } from "../openai/structured.js";
import { SqliteConversationStore, type ConversationStore } from "../state/conversations-repo.js";
import { SqliteResponseStore, type ResponseStore, type StoredItem } from "../state/responses-repo.js";
import { openStateDb, type StateDb } from "../state/state-db.js";
import { answerResponse } from "./answer-response.js";
import { conversationsRouter } from "./conversation-routes.js";
import { itemsToTurns, toChatFields, toInputItems, toResponsesParam, toSampling } from "./convert-request.js";
import { parsePageQuery, toListBody } from "./list-query.js";
import { newOutputIds, newResponseId, type ResponseHead } from "./response-object.js";
import type { ResponseCreateRequest } from "./types.js";
import { parseResponseRequest } from "./validate.js";

/** Stored responses live this long, as OpenAI keeps them: 30 days. */
export const DEFAULT_RESPONSE_TTL_SECONDS = 30 * 24 * 3600;

/** Options of {@link responsesRouter}. */
export interface ResponsesRouterOptions {
  engine: Engine;
  responses: ResponseStore;
  conversations: ConversationStore;
  /** Seconds a stored response is kept; null keeps it for good. @default DEFAULT_RESPONSE_TTL_SECONDS */
  ttlSeconds?: number | null;
  /** The clock, in ms since the epoch (tests move it). @default Date.now */
  now?: () => number;
}

/** The Responses API under `/v1`. */
export function responsesRouter(options: ResponsesRouterOptions): Router<ShimmyState> {
  const { engine, responses, conversations } = options;
  const now = () => unixSeconds(options.now?.() ?? Date.now());
  const ttl = options.ttlSeconds === undefined ? DEFAULT_RESPONSE_TTL_SECONDS : options.ttlSeconds;
  const router = new Router<ShimmyState>({ prefix: "/v1/responses" });

  router.post("/", async (ctx) => {
    const request = parseResponseRequest(ctx.state.body);
    const conversationId = conversationOf(request);
    if (request.previous_response_id && conversationId) {
      throw new ShimmyError("invalid_parameter", "previous_response_id and conversation cannot both be given: a response continues one or the other", { param: "conversation" });
    }
    const { checkResult, ...structured } = structuredOf(request);
    const input = toInputItems(request.input);
    const history = await historyOf(request, conversationId);
    const turns = [...(request.instructions ? [{ role: "system" as const, text: request.instructions }] : []), ...itemsToTurns([...history, ...input])];
    const head: ResponseHead = { id: newResponseId(), createdAt: now(), request, conversationId };
    const sampling = toSampling(request);
    const signal = ctx.state.abort.signal;
    await answerResponse(ctx as ShimmyContext, {
      stream: request.stream === true,
      head,
      ids: newOutputIds(),
      check: checkResult,
      generate: (onText, onToolCall) => engine.chat({ model: request.model, turns, ...structured, sampling, signal, onText, onToolCall }),
      finished: async (response) => {
        const output = response.output as unknown as StoredItem[];
        if (request.store !== false) {
          await responses.save({
            id: response.id, createdAt: response.created_at, expiresAt: ttl === null ? null : response.created_at + ttl, model: response.model, status: response.status,
            previousResponseId: response.previous_response_id, conversationId, body: response, input, output,
          });
        }
        if (conversationId) await conversations.append(conversationId, [...input, ...output], response.created_at);
      },
    });
  });

  router.get("/:id", async (ctx) => {
    ctx.body = (await responses.get(ctx.params.id!, now())) ?? notFound(ctx.params.id!, "response_id");
  });

  router.delete("/:id", async (ctx) => {
    if (!(await responses.delete(ctx.params.id!))) notFound(ctx.params.id!, "response_id");
    ctx.body = { id: ctx.params.id, object: "response", deleted: true };
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

/** The chat core's checks of tools and format, with errors naming the Responses fields. */
function structuredOf(request: ResponseCreateRequest): ReturnType<typeof parseStructured> {
  try {
    return parseStructured(toChatFields(request));
  } catch (err) {
    if (!(err instanceof ShimmyError)) throw err;
    throw new ShimmyError(err.code, toResponsesParam(err.message), { param: err.param === null ? null : toResponsesParam(err.param) });
  }
}

function notFound(id: string, param: string): never {
  throw new ShimmyError("response_not_found", `Response with id '${id}' not found.`, { param });
}

/**
 * The routers of the Responses and Conversations APIs ({@link responsesRouter},
 * {@link conversationsRouter}) over the state database's repositories; without one (in-process
 * tests of other routes) over a private in-memory database, so `store` still works and is never ignored.
 *
 * @param ttlSeconds how long a stored response is kept; null keeps it for good.
 */
export function responsesApi(engine: Engine, state: StateDb = openStateDb({ file: ":memory:" }), ttlSeconds?: number | null): Router<ShimmyState>[] {
  const conversations = new SqliteConversationStore(state.db);
  return [
    responsesRouter({ engine, responses: new SqliteResponseStore(state.db), conversations, ...(ttlSeconds === undefined ? {} : { ttlSeconds }) }),
    conversationsRouter({ conversations }),
  ];
}
