/**
 * Cursor pagination as OpenAI's list endpoints do it (`after`, `before`, `limit`, `order`, and a
 * page with `first_id`, `last_id`, `has_more`), over rows ordered by an integer `position`.
 */

/** A value, or a promise of it: SQLite answers at once, a networked database (PostgreSQL) would not. */
export type Awaitable<T> = T | Promise<T>;

/** What a client asked of a list. */
export interface PageQuery {
  /** Items after this item id, in `order`. */
  after?: string;
  /** Items before this item id, in `order`. */
  before?: string;
  /** 1 to 100. */
  limit: number;
  order: "asc" | "desc";
}

/** One page of a list. */
export interface Page<T> {
  data: T[];
  hasMore: boolean;
}

/**
 * The `WHERE` and `ORDER BY` tail of a page query over `position`, given the positions of the
 * `after` and `before` items (looked up first); fetches one row more than `limit` to tell `hasMore`.
 */
export function pageClause(query: PageQuery, afterPosition: number | undefined, beforePosition: number | undefined): { sql: string; params: number[] } {
  const asc = query.order === "asc";
  const conditions: string[] = [];
  const params: number[] = [];
  // "after" follows the list's order: in a descending list, after an item means a lower position.
  if (afterPosition !== undefined) {
    conditions.push(asc ? "position > ?" : "position < ?");
    params.push(afterPosition);
  }
  if (beforePosition !== undefined) {
    conditions.push(asc ? "position < ?" : "position > ?");
    params.push(beforePosition);
  }
  const where = conditions.map((c) => ` AND ${c}`).join("");
  params.push(query.limit + 1);
  return { sql: `${where} ORDER BY position ${asc ? "ASC" : "DESC"} LIMIT ?`, params };
}

/** Cuts the `limit + 1` rows of a page query to a page. */
export function toPage<T>(rows: T[], limit: number): Page<T> {
  return { data: rows.slice(0, limit), hasMore: rows.length > limit };
}
