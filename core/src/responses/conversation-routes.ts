/**
 * `/v1/conversations`: OpenAI's Conversations API over the state database. A conversation is an id,
 * metadata and an ordered list of items; `POST /v1/responses` with `conversation` reads them all
 * and appends its turn (see `routes.ts`), and these routes create, read, page and delete them.
 */
import Router from "@koa/router";
import type { SchemaObject } from "ajv";
import { ShimmyError } from "../errors.js";
import { MESSAGE_KEYWORD, checkBody, compileBodySchema } from "../http/validate-body.js";
import type { ShimmyState } from "../http/request-context.js";
import { randomId } from "../ids.js";
import { unixSeconds } from "../openai/convert-response.js";
import type { ConversationStore, StoredConversation } from "../state/conversations-repo.js";
import type { StoredItem } from "../state/responses-repo.js";
import { toInputItems } from "./convert-request.js";
import { parsePageQuery, toListBody } from "./list-query.js";
import type { InputItem } from "./types.js";
import { METADATA_SCHEMA, checkInputItems, nullable } from "./validate.js";

/** Most items one request may add, as OpenAI allows: 20. */
export const MAX_ITEMS_PER_REQUEST = 20;

const itemsSchema = (required: boolean): SchemaObject => ({
  type: "array",
  ...(required ? { minItems: 1 } : {}),
  maxItems: MAX_ITEMS_PER_REQUEST,
  items: { type: "object" },
  [MESSAGE_KEYWORD]: { maxItems: `{path} holds at most ${MAX_ITEMS_PER_REQUEST} items: add more with POST /v1/conversations/{id}/items` },
});

const validateCreate = compileBodySchema({
  type: "object",
  properties: { items: nullable(itemsSchema(false)), metadata: nullable(METADATA_SCHEMA) },
});
// OpenAI requires `metadata` on update: it replaces the whole set.
const validateUpdate = compileBodySchema({ type: "object", required: ["metadata"], properties: { metadata: METADATA_SCHEMA } });
const validateAppend = compileBodySchema({ type: "object", required: ["items"], properties: { items: itemsSchema(true) } });

/** The conversation object as OpenAI returns it. */
export function conversationObject(conversation: StoredConversation) {
  return { id: conversation.id, object: "conversation" as const, created_at: conversation.createdAt, metadata: conversation.metadata };
}

/** Options of {@link conversationsRouter}. */
export interface ConversationsRouterOptions {
  conversations: ConversationStore;
  /** The clock, in ms since the epoch (tests move it). @default Date.now */
  now?: () => number;
}

/**
 * The Conversations API under `/v1/conversations`.
 *
 * @example
 * app.use(conversationsRouter({ conversations: new SqliteConversationStore(state.db) }).routes());
 */
export function conversationsRouter(options: ConversationsRouterOptions): Router<ShimmyState> {
  const { conversations } = options;
  const now = () => unixSeconds(options.now?.() ?? Date.now());
  const router = new Router<ShimmyState>({ prefix: "/v1/conversations" });

  /** The conversation, or a 404 naming it. */
  async function find(id: string): Promise<StoredConversation> {
    return (await conversations.get(id)) ?? notFound(id);
  }

  router.post("/", async (ctx) => {
    // A create without a body is allowed, as OpenAI allows it (`client.conversations.create()`).
    const body = checkBody<{ items?: InputItem[] | null; metadata?: Record<string, string> | null }>(validateCreate, ctx.state.body ?? {});
    const items = newItems(body.items ?? [], "items", new Set());
    const conversation: StoredConversation = { id: randomId("conv_"), createdAt: now(), metadata: body.metadata ?? {} };
    await conversations.create(conversation, items);
    ctx.body = conversationObject(conversation);
  });

  router.get("/:id", async (ctx) => {
    ctx.body = conversationObject(await find(ctx.params.id!));
  });

  router.post("/:id", async (ctx) => {
    const { metadata } = checkBody<{ metadata: Record<string, string> }>(validateUpdate, ctx.state.body);
    if (!(await conversations.setMetadata(ctx.params.id!, metadata))) notFound(ctx.params.id!);
    ctx.body = conversationObject(await find(ctx.params.id!));
  });

  router.delete("/:id", async (ctx) => {
    if (!(await conversations.delete(ctx.params.id!))) notFound(ctx.params.id!);
    ctx.body = { id: ctx.params.id, object: "conversation.deleted", deleted: true };
  });

  router.post("/:id/items", async (ctx) => {
    const id = ctx.params.id!;
    const body = checkBody<{ items: InputItem[] }>(validateAppend, ctx.state.body);
    // Checked before the conversation is read, so a bad body is a 400 whatever the id.
    checkInputItems(body.items as unknown as Record<string, unknown>[], "items");
    const existing = await conversations.allItems(id);
    if (!existing) notFound(id);
    const items = newItems(body.items, "items", new Set(existing.map((item) => item.id)));
    if (!(await conversations.append(id, items, now()))) notFound(id);
    ctx.body = toListBody({ data: items, hasMore: false });
  });

  router.get("/:id/items", async (ctx) => {
    const id = ctx.params.id!;
    const query = parsePageQuery(ctx.query);
    const page = await conversations.items(id, query);
    if (!page) {
      await find(id);
      const param = query.after !== undefined ? "after" : "before";
      throw new ShimmyError("invalid_parameter", `${param} names no item of conversation ${id}`, { param });
    }
    ctx.body = toListBody(page);
  });

  router.get("/:id/items/:itemId", async (ctx) => {
    const { id, itemId } = ctx.params as { id: string; itemId: string };
    const item = await conversations.getItem(id, itemId);
    if (!item) {
      await find(id);
      itemNotFound(id, itemId);
    }
    ctx.body = item;
  });

  // OpenAI answers an item's deletion with the conversation it was taken from.
  router.delete("/:id/items/:itemId", async (ctx) => {
    const { id, itemId } = ctx.params as { id: string; itemId: string };
    if (!(await conversations.deleteItem(id, itemId))) {
      await find(id);
      itemNotFound(id, itemId);
    }
    ctx.body = conversationObject(await find(id));
  });

  return router;
}

/**
 * Items to add, checked and given ids as `input` items are; an id the conversation (`taken`) or the
 * request already holds is a 400, since items are read and deleted by id.
 */
function newItems(items: readonly InputItem[], field: string, taken: Set<string>): StoredItem[] {
  checkInputItems(items as unknown as Record<string, unknown>[], field);
  const stored = toInputItems([...items]);
  stored.forEach((item, i) => {
    if (taken.has(item.id)) throw new ShimmyError("invalid_parameter", `${field}.${i}.id ${JSON.stringify(item.id)} is already an item of this conversation`, { param: `${field}.${i}.id` });
    taken.add(item.id);
  });
  return stored;
}

function notFound(id: string): never {
  throw new ShimmyError("conversation_not_found", `Conversation with id '${id}' not found.`, { param: "conversation_id" });
}

function itemNotFound(id: string, itemId: string): never {
  throw new ShimmyError("conversation_not_found", `Item with id '${itemId}' not found in conversation '${id}'.`, { param: "item_id" });
}
