/**
 * OpenAI's attribute filters for file search: a comparison (`eq`, `ne`, `gt`, `gte`, `lt`,
 * `lte`, `in`, `nin`) of one attribute with a value, or a compound (`and`, `or`) of filters.
 * Evaluated over a file's attributes (every chunk of a file carries its file's attributes).
 *
 * A comparison on an attribute the file does not have is false, whatever the operator (`ne` and
 * `nin` included), as on OpenAI: a filter naming an attribute no file has matches nothing, and the
 * search answers an empty page rather than an error. A malformed filter is a 400.
 */
import { ShimmyError } from "../errors.js";
import type { AttributeValue } from "../state/vector-stores-repo.js";

/** A comparison filter. */
export interface ComparisonFilter {
  type: "eq" | "ne" | "gt" | "gte" | "lt" | "lte" | "in" | "nin";
  key: string;
  value: AttributeValue | AttributeValue[];
}

/** A compound filter. */
export interface CompoundFilter {
  type: "and" | "or";
  filters: AttributeFilter[];
}

/** Any filter. */
export type AttributeFilter = ComparisonFilter | CompoundFilter;

const COMPARISONS = new Set(["eq", "ne", "gt", "gte", "lt", "lte", "in", "nin"]);
const isScalar = (v: unknown): v is AttributeValue => typeof v === "string" || typeof v === "number" || typeof v === "boolean";

/**
 * Checks a filter's shape, depth-first, naming the faulty field by its dotted path.
 *
 * @throws ShimmyError `invalid_parameter`
 */
export function checkFilter(filter: unknown, param = "filters", depth = 0): AttributeFilter {
  const fail = (message: string, at = param) => new ShimmyError("invalid_parameter", message, { param: at });
  if (typeof filter !== "object" || filter === null || Array.isArray(filter)) throw fail(`${param} must be an object: {type, key, value} or {type: "and"|"or", filters}.`);
  if (depth > 16) throw fail(`${param} nests compound filters too deeply (more than 16 levels).`);
  const { type } = filter as { type?: unknown };
  if (type === "and" || type === "or") {
    const { filters } = filter as { filters?: unknown };
    if (!Array.isArray(filters) || filters.length === 0) throw fail(`${param}.filters must be a non-empty array.`, `${param}.filters`);
    return { type, filters: filters.map((f, i) => checkFilter(f, `${param}.filters.${i}`, depth + 1)) };
  }
  if (typeof type !== "string" || !COMPARISONS.has(type)) throw fail(`${param}.type must be one of eq, ne, gt, gte, lt, lte, in, nin, and, or (got ${JSON.stringify(type)}).`, `${param}.type`);
  const { key, value } = filter as { key?: unknown; value?: unknown };
  if (typeof key !== "string" || key === "") throw fail(`${param}.key must be a non-empty string.`, `${param}.key`);
  if (type === "in" || type === "nin") {
    if (!Array.isArray(value) || !value.every(isScalar)) throw fail(`${param}.value must be an array of strings, numbers or booleans for "${type}".`, `${param}.value`);
  } else if (!isScalar(value)) {
    throw fail(`${param}.value must be a string, number or boolean.`, `${param}.value`);
  } else if ((type === "gt" || type === "gte" || type === "lt" || type === "lte") && typeof value === "boolean") {
    throw fail(`${param}.value must be a number or string for "${type}".`, `${param}.value`);
  }
  return { type: type as ComparisonFilter["type"], key, value: value as AttributeValue | AttributeValue[] };
}

function compare(a: AttributeValue, b: AttributeValue): number | null {
  if (typeof a !== typeof b || typeof a === "boolean") return null;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Whether attributes satisfy a (checked) filter. */
export function matchesFilter(filter: AttributeFilter, attributes: Readonly<Record<string, AttributeValue>>): boolean {
  if (filter.type === "and") return filter.filters.every((f) => matchesFilter(f, attributes));
  if (filter.type === "or") return filter.filters.some((f) => matchesFilter(f, attributes));
  const comparison = filter as ComparisonFilter;
  if (!Object.hasOwn(attributes, comparison.key)) return false;
  const actual = attributes[comparison.key]!;
  const { value } = comparison;
  switch (comparison.type) {
    case "eq": return actual === value;
    case "ne": return actual !== value;
    case "in": return (value as AttributeValue[]).includes(actual);
    case "nin": return !(value as AttributeValue[]).includes(actual);
    default: {
      const order = compare(actual, value as AttributeValue);
      if (order === null) return false;
      return comparison.type === "gt" ? order > 0 : comparison.type === "gte" ? order >= 0 : comparison.type === "lt" ? order < 0 : order <= 0;
    }
  }
}
