/**
 * Conversations: an id, metadata, and an ordered list of items (the wire JSON of each), kept until
 * deleted. Plain portable SQL, as in `responses-repo.ts`.
 */
import type { Database } from "better-sqlite3";
import { pageClause, toPage, type Awaitable, type Page, type PageQuery } from "./page.js";
import type { StoredItem } from "./responses-repo.js";

/** A conversation's own fields. */
export interface StoredConversation {
  id: string;
  /** Seconds since the epoch. */
  createdAt: number;
  metadata: Record<string, string>;
}

/** A conversation with how many items it holds, as `shimmy conversations list` shows it. */
export interface ConversationSummary extends StoredConversation {
  itemCount: number;
}

/** What the Conversations API needs of a database; SQLite's is {@link SqliteConversationStore}. */
export interface ConversationStore {
  /** Creates a conversation with its first items, in one transaction. */
  create(conversation: StoredConversation, items: readonly StoredItem[]): Awaitable<void>;
  get(id: string): Awaitable<StoredConversation | null>;
  /** Up to `limit` conversations, newest first. */
  list(limit: number): Awaitable<ConversationSummary[]>;
  /** Replaces the metadata; false when the conversation is unknown. */
  setMetadata(id: string, metadata: Record<string, string>): Awaitable<boolean>;
  /** Deletes the conversation and its items; false when there was none. */
  delete(id: string): Awaitable<boolean>;
  /** Appends items at the end; false when the conversation is unknown. */
  append(id: string, items: readonly StoredItem[], createdAt: number): Awaitable<boolean>;
  /** Every item, oldest first; null when the conversation is unknown. */
  allItems(id: string): Awaitable<StoredItem[] | null>;
  /** A page of items; null when the conversation (or the `after`/`before` item) is unknown. */
  items(id: string, query: PageQuery): Awaitable<Page<StoredItem> | null>;
  getItem(id: string, itemId: string): Awaitable<StoredItem | null>;
  /** Deletes one item; false when there was none. */
  deleteItem(id: string, itemId: string): Awaitable<boolean>;
}

/** {@link ConversationStore} on the state database. */
export class SqliteConversationStore implements ConversationStore {
  private readonly db: Database;

  constructor(db: Database) {
    this.db = db;
  }

  create(conversation: StoredConversation, items: readonly StoredItem[]): void {
    this.db.transaction(() => {
      this.db.prepare("INSERT INTO conversations (id, created_at, metadata) VALUES (?, ?, ?)").run(conversation.id, conversation.createdAt, JSON.stringify(conversation.metadata));
      this.insertItems(conversation.id, items, conversation.createdAt);
    })();
  }

  get(id: string): StoredConversation | null {
    const row = this.db.prepare("SELECT id, created_at, metadata FROM conversations WHERE id = ?").get(id) as { id: string; created_at: number; metadata: string } | undefined;
    return row ? { id: row.id, createdAt: row.created_at, metadata: JSON.parse(row.metadata) as Record<string, string> } : null;
  }

  list(limit: number): ConversationSummary[] {
    const rows = this.db
      .prepare(
        `SELECT c.id, c.created_at, c.metadata, COUNT(i.item_id) AS item_count FROM conversations c
         LEFT JOIN conversation_items i ON i.conversation_id = c.id
         GROUP BY c.id, c.created_at, c.metadata ORDER BY c.created_at DESC, c.id DESC LIMIT ?`,
      )
      .all(limit) as { id: string; created_at: number; metadata: string; item_count: number }[];
    return rows.map((row) => ({ id: row.id, createdAt: row.created_at, metadata: JSON.parse(row.metadata) as Record<string, string>, itemCount: row.item_count }));
  }

  setMetadata(id: string, metadata: Record<string, string>): boolean {
    return this.db.prepare("UPDATE conversations SET metadata = ? WHERE id = ?").run(JSON.stringify(metadata), id).changes > 0;
  }

  delete(id: string): boolean {
    return this.db.prepare("DELETE FROM conversations WHERE id = ?").run(id).changes > 0;
  }

  append(id: string, items: readonly StoredItem[], createdAt: number): boolean {
    return this.db.transaction(() => {
      if (!this.get(id)) return false;
      this.insertItems(id, items, createdAt);
      return true;
    })();
  }

  allItems(id: string): StoredItem[] | null {
    if (!this.get(id)) return null;
    const rows = this.db.prepare("SELECT body FROM conversation_items WHERE conversation_id = ? ORDER BY position").all(id) as { body: string }[];
    return rows.map((row) => JSON.parse(row.body) as StoredItem);
  }

  items(id: string, query: PageQuery): Page<StoredItem> | null {
    if (!this.get(id)) return null;
    const position = (itemId: string | undefined): number | undefined | null => {
      if (itemId === undefined) return undefined;
      const row = this.db.prepare("SELECT position FROM conversation_items WHERE conversation_id = ? AND item_id = ?").get(id, itemId) as { position: number } | undefined;
      return row?.position ?? null;
    };
    const after = position(query.after);
    const before = position(query.before);
    if (after === null || before === null) return null;
    const tail = pageClause(query, after, before);
    const rows = this.db.prepare(`SELECT body FROM conversation_items WHERE conversation_id = ?${tail.sql}`).all(id, ...tail.params) as { body: string }[];
    return toPage(rows.map((row) => JSON.parse(row.body) as StoredItem), query.limit);
  }

  getItem(id: string, itemId: string): StoredItem | null {
    const row = this.db.prepare("SELECT body FROM conversation_items WHERE conversation_id = ? AND item_id = ?").get(id, itemId) as { body: string } | undefined;
    return row ? (JSON.parse(row.body) as StoredItem) : null;
  }

  deleteItem(id: string, itemId: string): boolean {
    return this.db.prepare("DELETE FROM conversation_items WHERE conversation_id = ? AND item_id = ?").run(id, itemId).changes > 0;
  }

  private insertItems(id: string, items: readonly StoredItem[], createdAt: number): void {
    const next = this.db.prepare("SELECT COALESCE(MAX(position), -1) + 1 AS next FROM conversation_items WHERE conversation_id = ?").get(id) as { next: number };
    const insert = this.db.prepare("INSERT INTO conversation_items (conversation_id, position, item_id, created_at, body) VALUES (?, ?, ?, ?, ?)");
    items.forEach((item, i) => insert.run(id, next.next + i, item.id, createdAt, JSON.stringify(item)));
  }
}
