/** The query of OpenAI's list endpoints (`after`, `before`, `limit`, `order`) and the list body. */
import { ShimmyError } from "../errors.js";
import type { Page, PageQuery } from "../state/page.js";

/**
 * Parses a list query: `limit` 1 to 100 (default 20), `order` `asc` or `desc` (default `desc`,
 * newest first, as OpenAI lists input items).
 *
 * @throws ShimmyError `invalid_parameter` naming the bad parameter.
 */
export function parsePageQuery(query: Record<string, string | string[] | undefined>): PageQuery {
  const one = (name: string): string | undefined => {
    const value = query[name];
    if (Array.isArray(value)) throw new ShimmyError("invalid_parameter", `${name} is given more than once`, { param: name });
    return value === "" ? undefined : value;
  };
  const limitText = one("limit");
  const limit = limitText === undefined ? 20 : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new ShimmyError("invalid_parameter", "limit must be a whole number from 1 to 100", { param: "limit" });
  const order = one("order") ?? "desc";
  if (order !== "asc" && order !== "desc") throw new ShimmyError("invalid_parameter", 'order must be "asc" or "desc"', { param: "order" });
  const after = one("after");
  const before = one("before");
  return { limit, order, ...(after !== undefined ? { after } : {}), ...(before !== undefined ? { before } : {}) };
}

/** A page as OpenAI's list object: `data`, `first_id`, `last_id`, `has_more`. */
export function toListBody<T extends { id: string }>(page: Page<T>) {
  return { object: "list", data: page.data, first_id: page.data[0]?.id ?? null, last_id: page.data.at(-1)?.id ?? null, has_more: page.hasMore };
}
