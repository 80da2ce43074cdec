/**
 * Small shared pieces for walking JSON Schemas: value tests, the subschema positions of the
 * translated keywords, and JSON-pointer `$ref` resolution.
 */

/** A schema node that is an object (booleans are handled by callers). */
export type SchemaObject = Record<string, unknown>;

/** Whether `value` is a plain JSON object (not an array, not null). */
export function isObject(value: unknown): value is SchemaObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** JSON equality: key order does not matter, as in JSON Schema's `const` and `enum`. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((item, i) => deepEqual(item, b[i]));
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((key) => key in b && deepEqual(a[key], b[key]));
  }
  return false;
}

/**
 * The subschemas of a node under the keywords whose subschemas shape the grammar, with their path
 * segments. Subschemas under unenforceable keywords (`not`, `if`, `contains`...) are not listed:
 * they never reach the grammar. `$defs`/`definitions` are listed only when `withDefs` is set.
 */
export function childSchemas(node: SchemaObject, withDefs: boolean): [string[], unknown][] {
  const out: [string[], unknown][] = [];
  for (const [key, value] of Object.entries(node)) {
    switch (key) {
      case "properties":
        if (isObject(value)) for (const [name, sub] of Object.entries(value)) out.push([[key, name], sub]);
        break;
      case "$defs":
      case "definitions":
        if (withDefs && isObject(value)) for (const [name, sub] of Object.entries(value)) out.push([[key, name], sub]);
        break;
      case "additionalProperties":
      case "additionalItems":
        out.push([[key], value]);
        break;
      case "items":
        if (Array.isArray(value)) value.forEach((sub, i) => out.push([[key, String(i)], sub]));
        else out.push([[key], value]);
        break;
      case "prefixItems":
      case "anyOf":
      case "oneOf":
      case "allOf":
        if (Array.isArray(value)) value.forEach((sub, i) => out.push([[key, String(i)], sub]));
        break;
    }
  }
  return out;
}

/** A `$ref` resolved within the document: its JSON pointer, path segments and schema. */
export interface RefTarget {
  pointer: string;
  path: string[];
  schema: unknown;
}

/**
 * Resolves a local JSON-pointer `$ref` (`#`, `#/$defs/A`, `#/properties/a/items`) against the
 * root. Returns null for anchors (`#name`), other documents and pointers to nothing.
 */
export function resolveLocalRef(root: unknown, ref: string): RefTarget | null {
  if (ref !== "#" && !ref.startsWith("#/")) return null;
  let path: string[];
  try {
    path = ref === "#" ? [] : ref.slice(2).split("/").map((part) => decodeURIComponent(part).replaceAll("~1", "/").replaceAll("~0", "~"));
  } catch {
    return null; // malformed percent-encoding
  }
  let node: unknown = root;
  for (const part of path) {
    if (Array.isArray(node) && /^(0|[1-9]\d*)$/.test(part)) node = node[Number(part)];
    else if (isObject(node) && Object.hasOwn(node, part)) node = node[part];
    else return null;
  }
  const pointer = path.map((part) => part.replaceAll("~", "~0").replaceAll("/", "~1")).join("/");
  return { pointer: "/" + pointer, path, schema: node };
}
