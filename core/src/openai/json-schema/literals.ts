/**
 * `const` and `enum` in node-llama-cpp's dialect, and the proof that `oneOf` branches never
 * overlap (which node-llama-cpp's `oneOf`, really an `anyOf`, does not check).
 */
import { report, invalidSchema, type GrammarSchema, type SchemaContext } from "./context.js";
import { deepEqual, isObject, type SchemaObject } from "./walk.js";

/** The JSON type of a value, with integers counted as numbers. */
function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

function typeAllows(type: unknown, nullable: boolean, value: unknown): boolean {
  if (type === undefined) return true;
  const types = typeof type === "string" ? [type] : Array.isArray(type) ? type : [];
  const kind = kindOf(value);
  return (
    types.includes(kind) ||
    (kind === "number" && types.includes("integer") && Number.isInteger(value)) ||
    (kind === "null" && nullable)
  );
}

/** An exact schema for one literal: node-llama-cpp takes only primitives as `const`. */
function literalSchema(value: unknown): GrammarSchema {
  if (Array.isArray(value)) {
    return value.length === 0 ? { type: "array", maxItems: 0 } : { type: "array", prefixItems: value.map(literalSchema), maxItems: value.length };
  }
  if (isObject(value)) {
    const properties = Object.fromEntries(Object.entries(value).map(([key, item]) => [key, literalSchema(item)]));
    return { type: "object", ...(Object.keys(properties).length > 0 ? { properties } : {}), additionalProperties: false };
  }
  return { const: value };
}

/**
 * The `const`/`enum` of a node, keeping only the values its other keywords accept (node-llama-cpp
 * would ignore those keywords). Null when no value is left.
 */
export function literalsSchema(node: SchemaObject, path: readonly string[], context: SchemaContext): GrammarSchema | null {
  if (node.enum !== undefined && !Array.isArray(node.enum)) throw invalidSchema(context, [...path, "enum"], "must be an array");
  let values: unknown[] = node.enum !== undefined ? (node.enum as unknown[]) : [node.const];
  if (node.const !== undefined) values = values.filter((value) => deepEqual(value, node.const));
  values = values.filter((value) => typeAllows(node.type, node.nullable === true, value));

  const { enum: _enum, const: _const, type: _type, nullable: _nullable, description: _description, ...others } = node;
  if (Object.keys(others).some((key) => key !== "$defs" && key !== "definitions")) {
    const check = context.literalChecker(others);
    if (check) values = values.filter(check);
    else report(context, "enum:unchecked", [...path, node.enum !== undefined ? "enum" : "const"]);
  }
  if (values.length === 0) return null;

  const primitives = values.filter((value) => typeof value !== "object" || value === null);
  const parts: GrammarSchema[] = [];
  if (primitives.length === 1) parts.push({ const: primitives[0] });
  else if (primitives.length > 1) parts.push({ enum: primitives });
  for (const value of values) if (typeof value === "object" && value !== null) parts.push(literalSchema(value));
  return parts.length === 1 ? parts[0]! : { oneOf: parts };
}

function deref(schema: GrammarSchema, context: SchemaContext): GrammarSchema {
  const ref = schema.$ref;
  return typeof ref === "string" ? (context.defs[ref.slice("#/$defs/".length)] ?? {}) : schema;
}

/** The JSON types a translated schema can produce (integers counted as numbers). */
function kinds(schema: GrammarSchema, context: SchemaContext): Set<string> {
  const node = deref(schema, context);
  if (Array.isArray(node.oneOf)) return new Set(node.oneOf.flatMap((branch) => [...kinds(branch as GrammarSchema, context)]));
  if (node.const !== undefined) return new Set([kindOf(node.const)]);
  if (Array.isArray(node.enum)) return new Set(node.enum.map(kindOf));
  const types = Array.isArray(node.type) ? node.type : [node.type];
  return new Set(types.map((type) => (type === "integer" ? "number" : String(type))));
}

/** The literal values a translated schema allows, or null when it is not a `const`/`enum`. */
function literals(schema: GrammarSchema, context: SchemaContext): unknown[] | null {
  const node = deref(schema, context);
  if (node.const !== undefined) return [node.const];
  return Array.isArray(node.enum) ? node.enum : null;
}

function disjointValues(a: unknown[] | null, b: unknown[] | null): boolean {
  return a !== null && b !== null && !a.some((value) => b.some((other) => deepEqual(value, other)));
}

function disjoint(a: GrammarSchema, b: GrammarSchema, context: SchemaContext): boolean {
  const kindsOfB = kinds(b, context);
  if (![...kinds(a, context)].some((kind) => kindsOfB.has(kind))) return true;
  if (disjointValues(literals(a, context), literals(b, context))) return true;
  // Objects told apart by a discriminator: node-llama-cpp generates every listed property, so
  // the property is always there, with a value the other branch refuses.
  const left = deref(a, context);
  const right = deref(b, context);
  if (left.type !== "object" || right.type !== "object" || !isObject(left.properties) || !isObject(right.properties)) return false;
  const rightProperties = right.properties;
  return Object.entries(left.properties).some(
    ([name, schema]) => isObject(rightProperties[name]) && disjointValues(literals(schema as GrammarSchema, context), literals(rightProperties[name] as GrammarSchema, context)),
  );
}

/** Whether no value can match two of these translated branches. */
export function provablyDisjoint(branches: readonly GrammarSchema[], context: SchemaContext): boolean {
  return branches.every((a, i) => branches.slice(i + 1).every((b) => disjoint(a, b, context)));
}
