/**
 * Stored responses (`store: true`): the response object, its input items and its output items,
 * each kept as the JSON the client sees. Plain portable SQL only (a recursive CTE for chains, no
 * SQLite functions), so a PostgreSQL implementation of {@link ResponseStore} can run the same text.
 */
import type { Database, Statement } from "better-sqlite3";
import { pageClause, toPage, type Awaitable, type Page, type PageQuery } from "./page.js";

/** An input or output item as stored: the wire JSON, with its `id`. */
export type StoredItem = { id: string; type?: string } & Record<string, unknown>;

/** A response to store. */
export interface NewStoredResponse {
  id: string;
  /** Seconds since the epoch. */
  createdAt: number;
  /** Seconds since the epoch after which it is gone; null to keep it. */
  expiresAt: number | null;
  model: string;
  status: string;
  previousResponseId: string | null;
  conversationId: string | null;
  /** The response object as `GET /v1/responses/{id}` returns it. */
  body: object;
  input: readonly StoredItem[];
  output: readonly StoredItem[];
}

/** What the Responses API needs of a database; SQLite's is {@link SqliteResponseStore}. */
export interface ResponseStore {
  /** Saves a response with its items, in one transaction; replaces one of the same id. */
  save(response: NewStoredResponse): Awaitable<void>;
  /** The response object, or null when unknown or expired at `now` (seconds). */
  get(id: string, now: number): Awaitable<object | null>;
  /** Deletes a response and its items; false when there was none. */
  delete(id: string): Awaitable<boolean>;
  /** A page of a response's input items, or null when the response (or the `after`/`before` item) is unknown. */
  inputItems(id: string, query: PageQuery, now: number): Awaitable<Page<StoredItem> | null>;
  /**
   * The items a continuation of `id` starts from: the input then output items of each response of
   * the chain, oldest first; null when `id` is unknown or expired.
   */
  chainItems(id: string, now: number): Awaitable<StoredItem[] | null>;
  /** Deletes responses expired at `now`; returns how many. */
  deleteExpired(now: number): Awaitable<number>;
  /**
   * Marks the responses left `queued` or `in_progress` (by a process that stopped or was killed
   * while they ran) as `status`, with `error` in their body; returns their ids. Run at start only.
   */
  markUnfinished(status: string, error: { code: string; message: string }): Awaitable<string[]>;
}

const LIVE = "(expires_at IS NULL OR expires_at > ?)";

/** {@link ResponseStore} on the state database. */
export class SqliteResponseStore implements ResponseStore {
  private readonly db: Database;
  private readonly insertResponse: Statement;
  private readonly insertItem: Statement;
  private readonly deleteResponse: Statement;
  private readonly getBody: Statement;
  private readonly chain: Statement;
  private readonly itemPosition: Statement;

  constructor(db: Database) {
    this.db = db;
    this.insertResponse = db.prepare(
      "INSERT INTO responses (id, created_at, expires_at, model, status, previous_response_id, conversation_id, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    );
    this.insertItem = db.prepare("INSERT INTO response_items (response_id, kind, position, item_id, body) VALUES (?, ?, ?, ?, ?)");
    this.deleteResponse = db.prepare("DELETE FROM responses WHERE id = ?");
    this.getBody = db.prepare(`SELECT body FROM responses WHERE id = ? AND ${LIVE}`);
    this.chain = db.prepare(`
      WITH RECURSIVE chain (id, previous_response_id, depth) AS (
        SELECT id, previous_response_id, 0 FROM responses WHERE id = ?
        UNION ALL
        SELECT r.id, r.previous_response_id, c.depth + 1 FROM responses r JOIN chain c ON r.id = c.previous_response_id
      )
      SELECT i.body FROM chain c JOIN response_items i ON i.response_id = c.id
      ORDER BY c.depth DESC, CASE i.kind WHEN 'input' THEN 0 ELSE 1 END, i.position`);
    this.itemPosition = db.prepare("SELECT position FROM response_items WHERE response_id = ? AND kind = 'input' AND item_id = ? ORDER BY position LIMIT 1");
  }

  save(response: NewStoredResponse): void {
    this.db.transaction(() => {
      this.deleteResponse.run(response.id);
      this.insertResponse.run(
        response.id, response.createdAt, response.expiresAt, response.model, response.status,
        response.previousResponseId, response.conversationId, JSON.stringify(response.body),
      );
      response.input.forEach((item, i) => this.insertItem.run(response.id, "input", i, item.id, JSON.stringify(item)));
      response.output.forEach((item, i) => this.insertItem.run(response.id, "output", i, item.id, JSON.stringify(item)));
    })();
  }

  get(id: string, now: number): object | null {
    const row = this.getBody.get(id, now) as { body: string } | undefined;
    return row ? (JSON.parse(row.body) as object) : null;
  }

  delete(id: string): boolean {
    return this.deleteResponse.run(id).changes > 0;
  }

  inputItems(id: string, query: PageQuery, now: number): Page<StoredItem> | null {
    if (!this.getBody.get(id, now)) return null;
    const position = (itemId: string | undefined): number | undefined | null => {
      if (itemId === undefined) return undefined;
      return (this.itemPosition.get(id, itemId) as { position: number } | undefined)?.position ?? null;
    };
    const after = position(query.after);
    const before = position(query.before);
    if (after === null || before === null) return null;
    const tail = pageClause(query, after, before);
    const rows = this.db.prepare(`SELECT body FROM response_items WHERE response_id = ? AND kind = 'input'${tail.sql}`).all(id, ...tail.params) as { body: string }[];
    return toPage(rows.map((row) => JSON.parse(row.body) as StoredItem), query.limit);
  }

  chainItems(id: string, now: number): StoredItem[] | null {
    if (!this.getBody.get(id, now)) return null;
    return (this.chain.all(id) as { body: string }[]).map((row) => JSON.parse(row.body) as StoredItem);
  }

  markUnfinished(status: string, error: { code: string; message: string }): string[] {
    return this.db.transaction(() => {
      const rows = this.db.prepare("SELECT id, body FROM responses WHERE status IN ('queued', 'in_progress')").all() as { id: string; body: string }[];
      const update = this.db.prepare("UPDATE responses SET status = ?, body = ? WHERE id = ?");
      for (const row of rows) update.run(status, JSON.stringify({ ...(JSON.parse(row.body) as object), status, error }), row.id);
      return rows.map((row) => row.id);
    })();
  }

  deleteExpired(now: number): number {
    return this.db.prepare("DELETE FROM responses WHERE expires_at IS NOT NULL AND expires_at <= ?").run(now).changes;
  }
}
