/**
 * `shimmy conversations list|show ID|rm ID`: the conversations of `$SHIMMY_HOME/shimmy.db`, read
 * from the database itself rather than through the server, so they can be looked at and removed
 * with the server stopped too. WAL and the busy timeout let this share the file with a running server.
 */
import fs from "node:fs";
import { parseArgs } from "node:util";
import { shimmyHome } from "../config/index.js";
import { conversationObject } from "../responses/conversation-routes.js";
import { SqliteConversationStore, type ConversationSummary } from "../state/conversations-repo.js";
import type { StoredItem } from "../state/responses-repo.js";
import { openStateDb, stateDbPath } from "../state/state-db.js";
import { renderTable } from "./table.js";

/** Where the command reads its environment and writes; `process`'s by default, fakes in tests. */
export interface ConversationsCliIO {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  env: NodeJS.ProcessEnv;
}

/** Conversations `list` prints when `--limit` is not given. */
export const DEFAULT_LIST_LIMIT = 50;

/** The text of `shimmy conversations --help`. */
export function conversationsUsage(): string {
  return `Usage: shimmy conversations <command> [options]

The conversations of the Conversations API, kept in $SHIMMY_HOME/shimmy.db until deleted.
Works while the server runs, and while it is stopped.

Commands:
  list          List conversations, newest first, with their item counts.
  show ID       Print a conversation's metadata and items, oldest first.
  rm ID         Delete a conversation and its items.

Options:
  --json        Print JSON for programs instead of text.
  --limit N     Most conversations list prints (default ${DEFAULT_LIST_LIMIT}).
  -h, --help    Print this help.
`;
}

type Parsed = { values: { json?: boolean; limit?: string; help?: boolean }; positionals: string[] };

/** Runs `shimmy conversations`; the exit code (2 for a usage mistake, 1 for an unknown id). */
export async function conversationsCommand(argv: string[], io: ConversationsCliIO = { stdout: process.stdout, stderr: process.stderr, env: process.env }): Promise<number> {
  let parsed: Parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { json: { type: "boolean" }, limit: { type: "string" }, help: { type: "boolean", short: "h" } } });
  } catch (error) {
    return usageMistake(io, (error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help || positionals.length === 0) {
    (values.help ? io.stdout : io.stderr).write(conversationsUsage());
    return values.help ? 0 : 2;
  }
  const [command, id, ...extra] = positionals;
  const limit = values.limit === undefined ? DEFAULT_LIST_LIMIT : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1) return usageMistake(io, `--limit must be a whole number of at least 1, got "${values.limit}"`);
  if (command === "list" && id === undefined) return list(io, limit, values.json === true);
  if ((command === "show" || command === "rm") && id !== undefined && extra.length === 0) {
    return command === "show" ? show(io, id, values.json === true) : remove(io, id, values.json === true);
  }
  return usageMistake(io, command === "list" || command === "show" || command === "rm" ? `expected "list", "show ID" or "rm ID"` : `unknown command "${command}"`);
}

function usageMistake(io: ConversationsCliIO, message: string): number {
  io.stderr.write(`shimmy conversations: ${message}\n\n${conversationsUsage()}`);
  return 2;
}

/**
 * Runs `work` on the conversations of the database, or returns `fallback` when there is no database
 * yet (nothing was ever stored: creating one just to find it empty would leave a file behind).
 */
function withStore<T>(io: ConversationsCliIO, fallback: T, work: (store: SqliteConversationStore) => T): T {
  const file = stateDbPath(shimmyHome(io.env));
  if (!fs.existsSync(file)) return fallback;
  const state = openStateDb({ file });
  try {
    return work(new SqliteConversationStore(state.db));
  } finally {
    state.dispose();
  }
}

function list(io: ConversationsCliIO, limit: number, json: boolean): number {
  const conversations = withStore(io, [] as ConversationSummary[], (store) => store.list(limit));
  if (json) {
    io.stdout.write(JSON.stringify(conversations.map((c) => ({ ...conversationObject(c), item_count: c.itemCount })), null, 2) + "\n");
  } else if (conversations.length === 0) {
    io.stdout.write("No conversations.\n");
  } else {
    const rows = conversations.map((c) => [c.id, formatTime(c.createdAt), String(c.itemCount), formatMetadata(c.metadata)]);
    io.stdout.write(renderTable(["ID", "CREATED", "ITEMS", "METADATA"], rows));
  }
  return 0;
}

function show(io: ConversationsCliIO, id: string, json: boolean): number {
  const found = withStore(io, null, (store) => {
    const conversation = store.get(id);
    return conversation ? { conversation, items: store.allItems(id) ?? [] } : null;
  });
  if (!found) return unknown(io, id);
  const { conversation, items } = found;
  if (json) {
    io.stdout.write(JSON.stringify({ ...conversationObject(conversation), items }, null, 2) + "\n");
    return 0;
  }
  io.stdout.write(`${conversation.id}  created ${formatTime(conversation.createdAt)}  metadata ${formatMetadata(conversation.metadata)}\n\n`);
  io.stdout.write(items.length === 0 ? "No items.\n" : renderTable(["ITEM", "KIND", "TEXT"], items.map((item) => [item.id, itemKind(item), itemText(item)])));
  return 0;
}

function remove(io: ConversationsCliIO, id: string, json: boolean): number {
  if (!withStore(io, false, (store) => store.delete(id))) return unknown(io, id);
  io.stdout.write(json ? JSON.stringify({ id, object: "conversation.deleted", deleted: true }) + "\n" : `Removed ${id}.\n`);
  return 0;
}

function unknown(io: ConversationsCliIO, id: string): number {
  io.stderr.write(`shimmy conversations: no conversation has the id ${id} (shimmy conversations list shows them)\n`);
  return 1;
}

/** Seconds since the epoch as `2026-01-02 15:04 UTC`: the same on every machine. */
function formatTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString().slice(0, 16).replace("T", " ") + " UTC";
}

function formatMetadata(metadata: Record<string, string>): string {
  return Object.keys(metadata).length === 0 ? "-" : JSON.stringify(metadata);
}

/** `user`, `assistant`… for messages; the item type otherwise. */
function itemKind(item: StoredItem): string {
  return item.type === "message" || item.type === undefined ? String(item.role ?? "message") : item.type;
}

/** One line of an item: its text, a call as `name(arguments)`, a call's output. */
function itemText(item: StoredItem): string {
  const oneLine = (text: string) => text.replace(/\s+/g, " ").trim();
  if (item.type === "function_call") return oneLine(`${String(item.name)}(${String(item.arguments)})`);
  const content = item.type === "function_call_output" ? item.output : item.content;
  if (typeof content === "string") return oneLine(content);
  if (!Array.isArray(content)) return "";
  return oneLine(content.map((part: { text?: string; refusal?: string }) => part.text ?? part.refusal ?? "").join(""));
}
