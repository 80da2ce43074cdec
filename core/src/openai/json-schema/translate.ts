/**
 * Pass 3 of `prepareJsonSchema`: a client's schema translated into node-llama-cpp's dialect
 * (`GbnfJsonSchema`).
 *
 * node-llama-cpp 3.22 reads one form per node, in this order: `$ref`, `oneOf`, `const`, `enum`,
 * then `type` (`object`, `array`, `string` with limits or a format, else a list of primitive
 * types), and ignores every other keyword of the node. So each node is rebuilt from scratch:
 * `allOf` and keywords beside `$ref`/`anyOf`/`oneOf` are merged first, then one form is emitted.
 * Unenforceable keywords were already reported by the audit (pass 2) and are skipped here;
 * this pass reports only what depends on the surroundings (recursive `$ref`, overlapping `oneOf`...).
 *
 * A translation returns null for a schema that allows no value (`false`, `type` intersections
 * that are empty, ...), so that parents can leave such a property or branch out.
 */
import { report, invalidSchema, type GrammarSchema, type SchemaContext } from "./context.js";
import { GRAMMAR_FORMATS, ruleFor } from "./keywords.js";
import { mergeSchemas, type SchemaNode } from "./merge.js";
import { isObject, resolveLocalRef, type SchemaObject } from "./walk.js";
import { translateArray, translateObject } from "./translate-containers.js";
import { literalsSchema, provablyDisjoint } from "./literals.js";

type Out = GrammarSchema | null;

const ALL_TYPES = ["string", "number", "boolean", "null", "array", "object"];
const PRIMITIVES = new Set(["string", "number", "integer", "boolean", "null"]);
/** Keys that carry no assertion of their own. */
const NOT_ASSERTIONS = new Set(["description", "$defs", "definitions"]);

/** Translates the schema at `path` (segments below the root); null when it allows no value. */
export function translateNode(source: unknown, path: readonly string[], context: SchemaContext): Out {
  const node = strip(source, context);
  if (typeof node === "boolean") return node ? translateStripped({}, path, context) : null;
  const out = translateStripped(node, path, context);
  const description = node.description;
  return out && typeof description === "string" && !("description" in out) ? { ...out, description } : out;
}

/** The node with only its translated keywords (and `description`); booleans stay booleans. */
export function strip(source: unknown, context: SchemaContext): SchemaNode {
  if (typeof source === "boolean") return source;
  if (!isObject(source)) return {}; // malformed subschemas were refused by ajv's meta-schema check
  const out: SchemaObject = {};
  for (const [key, value] of Object.entries(source)) {
    if (ruleFor(key, value, context.draft).class === "translated") out[key] = value;
  }
  return out;
}

function hasAssertions(node: SchemaObject): boolean {
  return Object.keys(node).some((key) => !NOT_ASSERTIONS.has(key));
}

function without(node: SchemaObject, key: string): SchemaObject {
  const { [key]: _removed, ...rest } = node;
  return rest;
}

function translateStripped(node: SchemaObject, path: readonly string[], context: SchemaContext): Out {
  if (node.allOf !== undefined) return translateAllOf(node, path, context);
  if (typeof node.$ref === "string") return translateRef(node, node.$ref, path, context);
  for (const key of ["anyOf", "oneOf"] as const) {
    if (node[key] !== undefined) return translateUnion(node, key, path, context);
  }
  if (node.const !== undefined || node.enum !== undefined) return literalsSchema(node, path, context);
  return translateByType(node, path, context);
}

function translateAllOf(node: SchemaObject, path: readonly string[], context: SchemaContext): Out {
  const rest = without(node, "allOf");
  if (!Array.isArray(node.allOf)) throw invalidSchema(context, [...path, "allOf"], "must be an array of schemas");
  let merged: SchemaNode | null = rest;
  for (const item of node.allOf) merged = merged === null ? null : mergeSchemas(merged, strip(item, context));
  if (merged === null) {
    report(context, "allOf:conflict", [...path, "allOf"]);
    return translateStripped(rest, path, context);
  }
  return merged === false ? null : translateStripped(merged === true ? {} : merged, path, context);
}

function translateRef(node: SchemaObject, ref: string, path: readonly string[], context: SchemaContext): Out {
  const rest = without(node, "$ref");
  const target = resolveLocalRef(context.root, ref);
  if (!target) {
    report(context, "$ref:other", [...path, "$ref"]);
    return translateStripped(rest, path, context);
  }
  if (context.translating.has(target.pointer)) {
    // A cycle: the target is being translated further up. node-llama-cpp would emit a recursive
    // rule, but it generates every listed property, so an optional recursive property could
    // recurse without end. The outer levels stay enforced; from here on the value is free.
    report(context, "$ref:recursive", [...path, "$ref"]);
    return translateStripped(rest, path, context);
  }
  context.translating.add(target.pointer);
  try {
    if (hasAssertions(rest)) {
      // Keywords beside `$ref` also hold (2019-09 and later; ajv applies them in draft-07 too).
      const merged = mergeSchemas(strip(target.schema, context), rest);
      if (merged === null) {
        report(context, "$ref:siblings", [...path, "$ref"]);
        return translateStripped(rest, path, context);
      }
      return merged === false ? null : translateStripped(merged === true ? {} : merged, path, context);
    }
    let def = context.defByPointer.get(target.pointer);
    if (!def) {
      def = { name: defName(target.path, context), schema: null };
      context.defByPointer.set(target.pointer, def);
      def.schema = translateNode(target.schema, target.path, context);
      if (def.schema) context.defs[def.name] = def.schema;
    }
    return def.schema ? { $ref: `#/$defs/${def.name}` } : null;
  } finally {
    context.translating.delete(target.pointer);
  }
}

/** A def name safe in a `#/$defs/NAME` reference: the definition's own name when it has one. */
function defName(path: readonly string[], context: SchemaContext): string {
  const own = path.length === 2 && (path[0] === "$defs" || path[0] === "definitions") ? path[1]! : path.join("_") || "root";
  const safe = own.replace(/[^A-Za-z0-9_-]/g, "_");
  // `__proto__` cannot be a key of the plain object `$defs` is.
  const base = safe === "" || safe === "__proto__" ? "def" : safe;
  const taken = new Set([...context.defByPointer.values()].map((def) => def.name));
  let name = base;
  for (let i = 2; taken.has(name); i++) name = `${base}_${i}`;
  return name;
}

function translateUnion(node: SchemaObject, key: "anyOf" | "oneOf", path: readonly string[], context: SchemaContext): Out {
  const rest = without(node, key);
  const raw = node[key];
  if (!Array.isArray(raw) || raw.length === 0) throw invalidSchema(context, [...path, key], "must be a non-empty array of schemas");
  let branches: SchemaNode[] = raw.map((branch) => strip(branch, context));
  if (hasAssertions(rest)) {
    // node-llama-cpp ignores keywords beside `oneOf`: push them into every branch instead.
    const merged = branches.map((branch) => mergeSchemas(rest, branch));
    if (merged.some((branch) => branch === null)) {
      report(context, "anyOf:siblings", [...path, key]);
      return translateStripped(rest, path, context);
    }
    branches = merged as SchemaNode[];
  }
  const outs = branches.map((branch, i) => translateNode(branch, [...path, key, String(i)], context));
  const kept = outs.filter((out): out is GrammarSchema => out !== null);
  if (kept.length === 0) return null;
  // The union is kept either way: every valid value matches one of its branches.
  if (key === "oneOf" && !provablyDisjoint(kept, context)) report(context, "oneOf:overlapping", [...path, key]);
  return kept.length === 1 ? kept[0]! : { oneOf: kept };
}

function typeListOf(node: SchemaObject, path: readonly string[], context: SchemaContext): string[] {
  const raw = node.type;
  if (raw === undefined) return ALL_TYPES;
  const list = typeof raw === "string" ? [raw] : Array.isArray(raw) ? [...raw] : null;
  if (!list || list.some((type) => typeof type !== "string" || !(PRIMITIVES.has(type) || type === "object" || type === "array"))) {
    throw invalidSchema(context, [...path, "type"], "must be a JSON type or an array of them");
  }
  if (node.nullable === true) list.push("null");
  const types = [...new Set(list as string[])];
  // An integer is a number: with both, "number" alone says it.
  return types.includes("number") ? types.filter((type) => type !== "integer") : types;
}

function translateByType(node: SchemaObject, path: readonly string[], context: SchemaContext): Out {
  const parts: GrammarSchema[] = [];
  for (const type of typeListOf(node, path, context)) {
    const part =
      type === "object" ? translateObject(node, path, context, translateNode)
      : type === "array" ? translateArray(node, path, context, translateNode)
      : type === "string" ? stringSchema(node)
      : { type };
    if (part) parts.push(part);
  }
  // Bare primitive types share one `type` array; node-llama-cpp's arrays hold only those.
  const bare = parts.filter((part) => Object.keys(part).length === 1 && PRIMITIVES.has(part.type as string));
  const others = parts.filter((part) => !bare.includes(part));
  const all = bare.length === 0 ? others : [bare.length === 1 ? bare[0]! : { type: bare.map((part) => part.type) }, ...others];
  if (all.length === 0) return null;
  return all.length === 1 ? all[0]! : { oneOf: all };
}

function stringSchema(node: SchemaObject): Out {
  const minLength = typeof node.minLength === "number" ? node.minLength : undefined;
  const maxLength = typeof node.maxLength === "number" ? node.maxLength : undefined;
  if (minLength !== undefined && maxLength !== undefined && maxLength < minLength) return null;
  // node-llama-cpp's format grammars ignore length limits, so a limit wins over the format.
  if (GRAMMAR_FORMATS.has(node.format) && minLength === undefined && maxLength === undefined) return { type: "string", format: node.format };
  const out: GrammarSchema = { type: "string" };
  if (minLength) out.minLength = minLength;
  if (maxLength !== undefined) out.maxLength = maxLength;
  return out;
}
