/**
 * The check after generation: ajv, against the schema exactly as the client sent it, in the
 * dialect detected here (`schema/dialect.ts` picks the ajv class and leaves `$schema` out).
 * Formats are not validated: ajv-formats is not a dependency, and `format` is an annotation in
 * 2020-12. Compiled validators are kept in a small LRU keyed by the schema's text, because agents
 * send the same tool schemas on every request and compiling is the expensive part.
 */
import type { ErrorObject, ValidateFunction } from "ajv";
import { ShimmyError } from "../../errors.js";
import { compileInDialect, declaredDraft, type Draft } from "../../schema/dialect.js";
import { isObject, type SchemaObject } from "./walk.js";

/** The outcome of checking one value. */
export type Verdict = { ok: true } | { ok: false; message: string };

/** Validators kept; the least recently used is compiled again when needed. */
export const VALIDATOR_CACHE_SIZE = 100;
const cache = new Map<string, (value: unknown) => Verdict>();

const SIGNS_2020 = new Set(["prefixItems", "$dynamicRef", "$dynamicAnchor", "unevaluatedProperties", "unevaluatedItems", "dependentRequired", "dependentSchemas", "minContains", "maxContains"]);
const SIGNS_07 = new Set(["additionalItems", "dependencies"]);

function scanKeys(value: unknown, found: (key: string, value: unknown) => void): void {
  if (Array.isArray(value)) value.forEach((item) => scanKeys(item, found));
  else if (isObject(value)) {
    for (const [key, item] of Object.entries(value)) {
      found(key, item);
      scanKeys(item, found);
    }
  }
}

/**
 * The dialect of a client's schema: from `$schema` when it names 2020-12 or 2019-09 (any other
 * URI means draft-07); without `$schema`, 2020-12 when a 2020-only keyword appears and no
 * draft-07-only form does, else draft-07 (ajv's default, and zod-to-json-schema's).
 */
export function detectDraft(schema: unknown): Draft {
  const declared = declaredDraft(schema);
  if (declared !== null) return declared;
  let newer = false;
  let older = false;
  scanKeys(schema, (key, value) => {
    if (SIGNS_2020.has(key)) newer = true;
    if (SIGNS_07.has(key) || (key === "items" && Array.isArray(value))) older = true;
  });
  return newer && !older ? "2020-12" : "draft-07";
}

/** Says which path failed which rule, from ajv's first error. */
export function describeError(error: ErrorObject): string {
  const where = error.instancePath === "" ? "the value" : `the value at ${error.instancePath}`;
  const params = error.params as Record<string, unknown>;
  const detail = typeof params.additionalProperty === "string" ? ` ('${params.additionalProperty}')` : "";
  return `${where} ${error.message ?? "is invalid"}${detail} (keyword "${error.keyword}" at ${error.schemaPath})`;
}

function compile(schema: unknown, draft: Draft, param: string): ValidateFunction {
  try {
    return compileInDialect(schema as SchemaObject | boolean, draft);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ShimmyError("invalid_parameter", `${param} is not a valid JSON Schema (${draft}): ${reason}`, { param, cause: error });
  }
}

/**
 * The validator of `schema` in `draft`, compiled once per schema text (LRU of
 * {@link VALIDATOR_CACHE_SIZE}). Throws `invalid_parameter` at `param` when ajv refuses the schema.
 */
export function validatorFor(schema: unknown, draft: Draft, param: string): (value: unknown) => Verdict {
  const key = `${draft}\n${JSON.stringify(schema)}`;
  const found = cache.get(key);
  if (found) {
    cache.delete(key);
    cache.set(key, found);
    return found;
  }
  const validate = compile(schema, draft, param);
  const verdict = (value: unknown): Verdict => {
    try {
      return validate(value) ? { ok: true } : { ok: false, message: describeError(validate.errors![0]!) };
    } catch (err) {
      // A check must fail, never crash the request: ajv can throw on schemas it compiled.
      return { ok: false, message: `the schema could not be checked (${(err as Error).message})` };
    }
  };
  // A schema that only refers to itself ({"$dynamicRef": "#"}) compiles, then recurses without
  // end on every value: refuse it now rather than fail every answer.
  try {
    validate(null);
  } catch (err) {
    if (err instanceof RangeError) {
      throw new ShimmyError("invalid_parameter", `${param} refers to itself without end, so no value can be checked against it`, { param });
    }
    throw err;
  }
  cache.set(key, verdict);
  if (cache.size > VALIDATOR_CACHE_SIZE) cache.delete(cache.keys().next().value!);
  return verdict;
}

/** How many validators the cache holds (for tests). */
export function validatorCacheSize(): number {
  return cache.size;
}
