/**
 * The one place that picks an ajv class for a JSON Schema dialect. ajv 8's default class speaks
 * draft-07 and refuses a 2020-12 `$schema` URI (and the 2020 class refuses draft-07's), so the
 * dialect is chosen here and `$schema` is left out of what ajv sees.
 */
import { Ajv, type Options, type SchemaObject, type ValidateFunction } from "ajv";
import { Ajv2019 } from "ajv/dist/2019.js";
import { Ajv2020 } from "ajv/dist/2020.js";

/** A JSON Schema dialect ajv can compile. */
export type Draft = "draft-07" | "2019-09" | "2020-12";

/**
 * The options schemas from outside (clients, plugins) are compiled with: the first error only,
 * unknown keywords and formats allowed (ajv-formats is not a dependency, and `format` is an
 * annotation in 2020-12).
 */
export const FOREIGN_SCHEMA_OPTIONS: Options = { strict: false, allErrors: false, validateFormats: false };

/**
 * A fresh ajv of `draft`'s class. Fresh on purpose: ajv keeps every compiled schema in an internal
 * map (a leak when schemas arrive with requests) and refuses a second schema with the same `$id`.
 *
 * @example
 * const validate = newAjv("2020-12").compile({ prefixItems: [{ type: "string" }] });
 */
export function newAjv(draft: Draft, options: Options = FOREIGN_SCHEMA_OPTIONS): Ajv {
  if (draft === "2020-12") return new Ajv2020(options);
  if (draft === "2019-09") return new Ajv2019(options);
  return new Ajv(options);
}

/** The dialect a schema's `$schema` names: 2020-12 or 2019-09 by their URIs, draft-07 for any other; null without one. */
export function declaredDraft(schema: unknown): Draft | null {
  const declared = typeof schema === "object" && schema !== null && !Array.isArray(schema) ? (schema as SchemaObject).$schema : undefined;
  if (typeof declared !== "string") return null;
  if (declared.includes("2020-12")) return "2020-12";
  if (declared.includes("2019-09")) return "2019-09";
  return "draft-07";
}

/** `schema` without its `$schema`: the dialect is already picked, and a URI ajv has no meta-schema for would throw. */
export function withoutDialect<S>(schema: S): S {
  if (typeof schema !== "object" || schema === null || !("$schema" in schema)) return schema;
  const { $schema: _dialect, ...rest } = schema as SchemaObject;
  return rest as S;
}

/**
 * Compiles a schema from outside in `draft` (default: the one its `$schema` names, else draft-07,
 * as MCP's tool schemas are), with a fresh ajv. Throws what ajv throws for a malformed schema.
 *
 * @example
 * const validate = compileInDialect(tool.inputSchema);
 * if (!validate(input)) throw new Error(ajvErrorsText(validate.errors));
 */
export function compileInDialect(schema: SchemaObject | boolean, draft: Draft = declaredDraft(schema) ?? "draft-07"): ValidateFunction {
  return newAjv(draft).compile(withoutDialect(schema));
}
