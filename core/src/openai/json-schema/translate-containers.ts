/**
 * The `object` and `array` parts of a translated node. node-llama-cpp generates every property in
 * `properties` and every item in `prefixItems`, defaults `additionalProperties` to false and
 * raises `maxItems`/`maxProperties` to fit those: the code below shapes what it is given so that
 * everything it generates is valid, narrowing where JSON Schema leaves a choice.
 */
import { invalidSchema, type GrammarSchema, type SchemaContext } from "./context.js";
import { isObject } from "./walk.js";

type Translate = (source: unknown, path: readonly string[], context: SchemaContext) => GrammarSchema | null;
type Node = Record<string, unknown>;

function count(node: Node, key: string, path: readonly string[], context: SchemaContext): number | undefined {
  const value = node[key];
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
    throw invalidSchema(context, [...path, key], "must be a non-negative integer");
  }
  return value;
}

/** The object part of a node, or null when no object satisfies it. */
export function translateObject(node: Node, path: readonly string[], context: SchemaContext, translate: Translate): GrammarSchema | null {
  const properties = node.properties;
  if (properties !== undefined && !isObject(properties)) throw invalidSchema(context, [...path, "properties"], "must be an object of schemas");
  const required = Array.isArray(node.required) ? node.required.filter((name): name is string => typeof name === "string") : [];
  const extras = node.additionalProperties;
  const minProperties = count(node, "minProperties", path, context) ?? 0;
  const maxProperties = count(node, "maxProperties", path, context);

  // `additionalProperties` as given; `undefined` means absent (any value, in JSON Schema).
  let extrasSchema: GrammarSchema | boolean | undefined = typeof extras === "boolean" ? extras : undefined;
  if (extras !== undefined && typeof extras !== "boolean") extrasSchema = translate(extras, [...path, "additionalProperties"], context) ?? false;

  // A Map, not an object: a property may be called `__proto__`.
  const out = new Map<string, GrammarSchema>();
  for (const [name, schema] of Object.entries(properties ?? {})) {
    const translated = translate(schema, [...path, "properties", name], context);
    if (translated) out.set(name, translated);
    else if (required.includes(name)) return null; // required, yet no value fits
    // An optional property that allows no value is simply never generated.
  }
  for (const name of required) {
    if (out.has(name) || (properties && Object.hasOwn(properties, name))) continue;
    // Required but not listed: generate it with the schema additional properties get.
    if (extrasSchema === false) return null;
    out.set(name, typeof extrasSchema === "object" ? extrasSchema : anyValue());
  }

  let names = [...out.keys()];
  if (maxProperties !== undefined && names.length > maxProperties) {
    // node-llama-cpp would generate them all; leave optional ones out until the maximum fits.
    const mandatory = names.filter((name) => required.includes(name));
    if (mandatory.length > maxProperties) return null;
    const optional = names.filter((name) => !required.includes(name)).slice(0, maxProperties - mandatory.length);
    names = names.filter((name) => mandatory.includes(name) || optional.includes(name));
  }
  // Absent `additionalProperties`: with `properties`, generate only those (valid, and what the
  // client lists); without, any object, as node-llama-cpp's default `false` would allow only `{}`.
  const additional = extrasSchema ?? (properties === undefined || minProperties > names.length);
  if (additional === false && minProperties > names.length) return null;

  const result: GrammarSchema = { type: "object" };
  if (names.length > 0) result.properties = Object.fromEntries(names.map((name) => [name, out.get(name)!]));
  result.additionalProperties = additional;
  if (minProperties > names.length) result.minProperties = minProperties;
  if (maxProperties !== undefined && additional !== false) result.maxProperties = maxProperties;
  return result;
}

/** The array part of a node, or null when no array satisfies it. */
export function translateArray(node: Node, path: readonly string[], context: SchemaContext, translate: Translate): GrammarSchema | null {
  // 2020-12 writes tuples as `prefixItems` + `items`; older dialects as `items: [...]` + `additionalItems`.
  const tupleKey = Array.isArray(node.items) ? "items" : "prefixItems";
  const tuple = node[tupleKey];
  const restKey = tupleKey === "items" ? "additionalItems" : "items";
  const rest = node[restKey];
  if (tuple !== undefined && !Array.isArray(tuple)) throw invalidSchema(context, [...path, tupleKey], "must be an array of schemas");

  const minItems = count(node, "minItems", path, context) ?? 0;
  let maxItems = count(node, "maxItems", path, context);
  const lower = (limit: number) => (maxItems = maxItems === undefined ? limit : Math.min(maxItems, limit));

  const prefix: GrammarSchema[] = [];
  for (const [i, schema] of (tuple ?? []).entries()) {
    const translated = translate(schema, [...path, tupleKey, String(i)], context);
    if (!translated) {
      lower(i); // no value fits position i, so the array ends before it
      break;
    }
    prefix.push(translated);
  }
  let items: GrammarSchema | undefined;
  if (rest !== undefined && rest !== true) {
    const translated = rest === false ? null : translate(rest, [...path, restKey], context);
    if (translated) items = translated;
    else lower((tuple ?? []).length);
  }
  if (maxItems !== undefined && minItems > maxItems) return null;
  // node-llama-cpp generates the whole prefix; JSON Schema lets the array stop early.
  if (maxItems !== undefined && prefix.length > maxItems) prefix.length = maxItems;

  const result: GrammarSchema = { type: "array" };
  if (prefix.length > 0) result.prefixItems = prefix;
  if (items) result.items = items;
  if (minItems > 0) result.minItems = minItems;
  if (maxItems !== undefined) result.maxItems = maxItems;
  return result;
}

/** Any JSON value, in node-llama-cpp's dialect (which generates only `null` for `{}`); a fresh copy each time. */
export function anyValue(): GrammarSchema {
  return { oneOf: [{ type: ["string", "number", "boolean", "null"] }, { type: "array" }, { type: "object", additionalProperties: true }] };
}
