/**
 * The intersection of two schemas as one schema, for `allOf` and for keywords beside `$ref`,
 * `anyOf` and `oneOf` (node-llama-cpp reads one form per schema node and ignores the rest).
 *
 * Only exact merges are made: a value is valid against the result exactly when it is valid
 * against both inputs. When that cannot be guaranteed the answer is null and the caller applies
 * the policy's "cannot be merged" row. Inputs hold only translated keywords (see `strip` in
 * `translate.ts`), which keeps the rules below short.
 */
import { deepEqual, isObject, type SchemaObject } from "./walk.js";

/** A schema node: an object or a boolean schema. */
export type SchemaNode = boolean | SchemaObject;

/** Keywords that only annotate or that are found by pointer, not by merging: the left one stays. */
const KEEP_LEFT = new Set(["description", "$defs", "definitions", "format"]);
const LOWER_BOUNDS = new Set(["minLength", "minItems", "minProperties"]);
const UPPER_BOUNDS = new Set(["maxLength", "maxItems", "maxProperties"]);
const TUPLE_KEYWORDS = ["items", "prefixItems", "additionalItems"];

/** Marks a pair of keyword values that do not merge exactly. */
const CONFLICT = Symbol("conflict");
/** Marks a pair of keyword values that no value satisfies together. */
const NEVER = Symbol("never");

/**
 * Merges `a` and `b` into one schema that accepts exactly the values both accept; `false` when
 * none can, null when the two cannot be merged exactly.
 */
export function mergeSchemas(a: SchemaNode, b: SchemaNode): SchemaNode | null {
  if (a === true) return b;
  if (b === true) return a;
  if (a === false || b === false) return false;
  if (!objectKeywordsCombine(a, b) || !objectKeywordsCombine(b, a) || !tupleKeywordsCombine(a, b)) return null;
  const out: SchemaObject = { ...a };
  for (const [key, right] of Object.entries(b)) {
    if (!(key in out)) {
      out[key] = right;
      continue;
    }
    const merged = mergeKeyword(key, out[key], right);
    if (merged === CONFLICT) return null;
    if (merged === NEVER) return false;
    out[key] = merged;
  }
  // `const` beside `enum` is resolved by the translator, which intersects the two.
  return out;
}

function mergeKeyword(key: string, left: unknown, right: unknown): unknown {
  if (deepEqual(left, right) || KEEP_LEFT.has(key)) return left;
  if (LOWER_BOUNDS.has(key) && typeof left === "number" && typeof right === "number") return Math.max(left, right);
  if (UPPER_BOUNDS.has(key) && typeof left === "number" && typeof right === "number") return Math.min(left, right);
  switch (key) {
    case "type":
      return intersectTypes(left, right);
    case "required":
      return Array.isArray(left) && Array.isArray(right) ? [...new Set([...left, ...right])] : CONFLICT;
    case "properties":
      return mergeProperties(left, right);
    case "enum": {
      if (!Array.isArray(left) || !Array.isArray(right)) return CONFLICT;
      const both = left.filter((value) => right.some((other) => deepEqual(value, other)));
      return both.length > 0 ? both : NEVER;
    }
    case "const":
      return NEVER; // two different constants
    case "allOf":
      return Array.isArray(left) && Array.isArray(right) ? [...left, ...right] : CONFLICT;
    case "nullable":
      return false; // only one side allows null
    default:
      // Two different `anyOf`s, `$ref`s, `additionalProperties`, tuples...: not merged.
      return CONFLICT;
  }
}

function typeList(value: unknown): string[] | null {
  if (typeof value === "string") return [value];
  if (Array.isArray(value) && value.every((item) => typeof item === "string")) return value as string[];
  return null;
}

function intersectTypes(left: unknown, right: unknown): unknown {
  const a = typeList(left);
  const b = typeList(right);
  if (!a || !b) return CONFLICT;
  const out = new Set<string>();
  for (const type of a) {
    if (b.includes(type)) out.add(type);
    // An integer is a number, so number ∩ integer is integer.
    else if (type === "integer" && b.includes("number")) out.add("integer");
    else if (type === "number" && b.includes("integer")) out.add("integer");
  }
  if (out.size === 0) return NEVER;
  return out.size === 1 ? [...out][0] : [...out];
}

function mergeProperties(left: unknown, right: unknown): unknown {
  if (!isObject(left) || !isObject(right)) return CONFLICT;
  // A Map, not an object: a property may be called `__proto__`.
  const out = new Map(Object.entries(left));
  for (const [name, schema] of Object.entries(right)) {
    if (!out.has(name)) {
      out.set(name, schema);
      continue;
    }
    const merged = mergeSchemas(asNode(out.get(name)), asNode(schema));
    if (merged === null) return CONFLICT;
    // A property that allows no value may still be absent: `false` says exactly that.
    out.set(name, merged);
  }
  return Object.fromEntries(out);
}

function asNode(value: unknown): SchemaNode {
  return typeof value === "boolean" || isObject(value) ? value : {};
}

/**
 * `additionalProperties` of one side applies to every property the other side lists but this
 * side does not; merging would silently exempt those, so that case is refused.
 */
function objectKeywordsCombine(withExtras: SchemaObject, other: SchemaObject): boolean {
  if (!("additionalProperties" in withExtras) || !isObject(other.properties)) return true;
  const listed = isObject(withExtras.properties) ? withExtras.properties : {};
  return Object.keys(other.properties).every((name) => name in listed);
}

/** Tuple keywords interact (`items` means "after the prefix"): both sides having them must agree. */
function tupleKeywordsCombine(a: SchemaObject, b: SchemaObject): boolean {
  const inA = TUPLE_KEYWORDS.some((key) => key in a);
  const inB = TUPLE_KEYWORDS.some((key) => key in b);
  return !inA || !inB || TUPLE_KEYWORDS.every((key) => deepEqual(a[key], b[key]));
}
