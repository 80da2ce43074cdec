/**
 * Test data: one example schema per row of the keyword table, with the grammar it prepares to or
 * the path of the keyword a strict request refuses. Used by the unit tests beside this file and by
 * the end-to-end tests that send each row to the real server.
 */
import type { RuleId } from "./keywords.js";
import { anyValue } from "./translate-containers.js";

const ANY = anyValue();

const S = { type: "string" } as const;
export const D2020 = "https://json-schema.org/draft/2020-12/schema";

/**
 * A case per row: the schema, and either the grammar expected or the keyword's path below the
 * schema; `endless` marks a schema that only refers to itself, which no validator can check, so
 * it is refused without strict too.
 */
export type RowCase = { schema: unknown; grammar: object } | { schema: unknown; at: string; grammar?: object; endless?: true };

const dropped = (extra: object): RowCase => ({ schema: { type: "string", ...extra }, grammar: S });

/** A schema per row of the keyword table, with what preparing it must give. */
export const KEYWORD_CASES: Record<RuleId, RowCase> = {
  // dropped
  $schema: dropped({ $schema: D2020 }),
  $id: dropped({ $id: "https://example.com/person.json" }),
  $anchor: dropped({ $anchor: "here" }),
  $dynamicAnchor: dropped({ $dynamicAnchor: "meta" }),
  $recursiveAnchor: dropped({ $recursiveAnchor: true }),
  $vocabulary: dropped({ $vocabulary: {} }),
  $comment: dropped({ $comment: "for authors" }),
  title: dropped({ title: "Name" }),
  examples: dropped({ examples: ["Ada"] }),
  example: dropped({ example: "Ada" }),
  default: dropped({ default: "Ada" }),
  deprecated: dropped({ deprecated: true }),
  readOnly: dropped({ readOnly: true }),
  writeOnly: dropped({ writeOnly: true }),
  contentEncoding: dropped({ contentEncoding: "base64" }),
  contentMediaType: dropped({ contentMediaType: "text/plain" }),
  contentSchema: dropped({ contentSchema: { type: "object" } }),
  discriminator: dropped({ discriminator: { propertyName: "kind" } }),
  "format:other": dropped({ format: "email" }),
  "uniqueItems:false": { schema: { type: "array", uniqueItems: false }, grammar: { type: "array" } },
  "(other)": dropped({ "x-vendor": { a: 1 } }),
  // translated
  description: { schema: { type: "string", description: "a name" }, grammar: { type: "string", description: "a name" } },
  type: { schema: { type: ["string", "integer", "object"] }, grammar: { oneOf: [{ type: ["string", "integer"] }, { type: "object", additionalProperties: true }] } },
  "type:absent": { schema: {}, grammar: ANY },
  nullable: { schema: { type: "string", nullable: true }, grammar: { type: ["string", "null"] } },
  const: {
    schema: { const: { a: [1, "x"] } },
    grammar: { type: "object", properties: { a: { type: "array", prefixItems: [{ const: 1 }, { const: "x" }], maxItems: 2 } }, additionalProperties: false },
  },
  enum: { schema: { type: "string", enum: ["a", 1, "b", null] }, grammar: { enum: ["a", "b"] } },
  properties: {
    schema: { type: "object", properties: { a: S, gone: false } },
    grammar: { type: "object", properties: { a: S }, additionalProperties: false },
  },
  required: {
    schema: { type: "object", properties: { a: S }, required: ["a", "b"] },
    grammar: { type: "object", properties: { a: S, b: ANY }, additionalProperties: false },
  },
  additionalProperties: { schema: { type: "object", additionalProperties: { type: "number" } }, grammar: { type: "object", additionalProperties: { type: "number" } } },
  minProperties: {
    schema: { type: "object", properties: { a: S }, minProperties: 2 },
    grammar: { type: "object", properties: { a: S }, additionalProperties: true, minProperties: 2 },
  },
  maxProperties: {
    schema: { type: "object", properties: { a: S, b: S, c: S }, required: ["c"], maxProperties: 2 },
    grammar: { type: "object", properties: { a: S, c: S }, additionalProperties: false },
  },
  items: { schema: { type: "array", items: S }, grammar: { type: "array", items: S } },
  "items:array": {
    schema: { type: "array", items: [S], additionalItems: { type: "number" } },
    grammar: { type: "array", prefixItems: [S], items: { type: "number" } },
  },
  additionalItems: { schema: { type: "array", items: [S, S], additionalItems: false }, grammar: { type: "array", prefixItems: [S, S], maxItems: 2 } },
  prefixItems: {
    schema: { $schema: D2020, type: "array", prefixItems: [S, { type: "number" }], items: { type: "boolean" } },
    grammar: { type: "array", prefixItems: [S, { type: "number" }], items: { type: "boolean" } },
  },
  minItems: { schema: { type: "array", minItems: 1 }, grammar: { type: "array", minItems: 1 } },
  maxItems: { schema: { $schema: D2020, type: "array", prefixItems: [S, S, S], maxItems: 2 }, grammar: { type: "array", prefixItems: [S, S], maxItems: 2 } },
  minLength: { schema: { type: "string", minLength: 1 }, grammar: { type: "string", minLength: 1 } },
  maxLength: { schema: { type: "string", maxLength: 5 }, grammar: { type: "string", maxLength: 5 } },
  format: { schema: { type: "string", format: "date-time" }, grammar: { type: "string", format: "date-time" } },
  anyOf: { schema: { anyOf: [S, { type: "null" }], description: "d" }, grammar: { oneOf: [S, { type: "null" }], description: "d" } },
  oneOf: {
    schema: { oneOf: [{ type: "object", properties: { kind: { const: "a" } } }, { type: "object", properties: { kind: { const: "b" }, n: { type: "number" } } }] },
    grammar: {
      oneOf: [
        { type: "object", properties: { kind: { const: "a" } }, additionalProperties: false },
        { type: "object", properties: { kind: { const: "b" }, n: { type: "number" } }, additionalProperties: false },
      ],
    },
  },
  allOf: {
    schema: { allOf: [{ type: "object", properties: { a: S } }, { required: ["a"], properties: { a: { maxLength: 3 } } }] },
    grammar: { type: "object", properties: { a: { type: "string", maxLength: 3 } }, additionalProperties: false },
  },
  $ref: {
    schema: { $defs: { S }, type: "object", properties: { s: { $ref: "#/$defs/S" } } },
    grammar: { type: "object", properties: { s: { $ref: "#/$defs/S" } }, additionalProperties: false, $defs: { S } },
  },
  $defs: { schema: { $defs: { A: S, Unused: { type: "number" } }, $ref: "#/$defs/A" }, grammar: { $ref: "#/$defs/A", $defs: { A: S } } },
  definitions: {
    schema: { definitions: { "my def": { type: "integer" } }, type: "array", items: { $ref: "#/definitions/my%20def" } },
    grammar: { type: "array", items: { $ref: "#/$defs/my_def" }, $defs: { my_def: { type: "integer" } } },
  },
  // unenforceable, depending on the surroundings
  "enum:unchecked": {
    schema: { type: "object", properties: { list: { type: "array", items: S }, pick: { enum: [["a"]], items: { $ref: "#/properties/list/items" } } } },
    at: "properties.pick.enum",
  },
  "anyOf:siblings": { schema: { type: "object", additionalProperties: false, anyOf: [{ properties: { a: S } }] }, at: "anyOf" },
  "oneOf:overlapping": { schema: { oneOf: [S, { type: "string", maxLength: 3 }] }, at: "oneOf", grammar: { oneOf: [S, { type: "string", maxLength: 3 }] } },
  "allOf:conflict": { schema: { allOf: [{ anyOf: [S, { type: "null" }] }, { anyOf: [{ type: "number" }, { type: "null" }] }] }, at: "allOf" },
  "$ref:recursive": {
    schema: { $defs: { node: { type: "object", properties: { kids: { type: "array", items: { $ref: "#/$defs/node" } } } } }, $ref: "#/$defs/node" },
    at: "$defs.node.properties.kids.items.$ref",
  },
  "$ref:other": { schema: { $defs: { a: { $anchor: "named", type: "string" } }, $ref: "#named" }, at: "$ref", grammar: ANY },
  "$ref:siblings": { schema: { $defs: { A: { anyOf: [S, { type: "number" }] } }, $ref: "#/$defs/A", anyOf: [{ minLength: 1 }, { type: "null" }] }, at: "$ref" },
  // unenforceable, always
  pattern: { schema: { type: "string", pattern: "^a" }, at: "pattern", grammar: S },
  minimum: { schema: { type: "integer", minimum: 0 }, at: "minimum", grammar: { type: "integer" } },
  maximum: { schema: { type: "number", maximum: 9 }, at: "maximum", grammar: { type: "number" } },
  exclusiveMinimum: { schema: { type: "number", exclusiveMinimum: 0 }, at: "exclusiveMinimum" },
  exclusiveMaximum: { schema: { type: "number", exclusiveMaximum: 0 }, at: "exclusiveMaximum" },
  multipleOf: { schema: { type: "integer", multipleOf: 5 }, at: "multipleOf" },
  uniqueItems: { schema: { type: "array", uniqueItems: true }, at: "uniqueItems", grammar: { type: "array" } },
  contains: { schema: { type: "array", contains: S }, at: "contains" },
  minContains: { schema: { $schema: D2020, type: "array", minContains: 2, contains: S }, at: "minContains" },
  maxContains: { schema: { $schema: D2020, type: "array", maxContains: 2, contains: S }, at: "maxContains" },
  patternProperties: { schema: { type: "object", patternProperties: { "^x": S } }, at: "patternProperties" },
  propertyNames: { schema: { type: "object", propertyNames: { maxLength: 3 } }, at: "propertyNames" },
  dependentRequired: { schema: { $schema: D2020, type: "object", dependentRequired: { a: ["b"] } }, at: "dependentRequired" },
  dependentSchemas: { schema: { $schema: D2020, type: "object", dependentSchemas: { a: { required: ["b"] } } }, at: "dependentSchemas" },
  dependencies: { schema: { type: "object", dependencies: { a: ["b"] } }, at: "dependencies" },
  if: { schema: { type: "object", if: { required: ["a"] }, then: { required: ["b"] } }, at: "if" },
  then: { schema: { type: "object", then: { required: ["b"] }, if: { required: ["a"] } }, at: "then" },
  else: { schema: { type: "object", else: { required: ["b"] }, if: { required: ["a"] } }, at: "else" },
  not: { schema: { type: "string", not: { const: "x" } }, at: "not", grammar: S },
  unevaluatedProperties: { schema: { $schema: D2020, type: "object", unevaluatedProperties: false }, at: "unevaluatedProperties" },
  unevaluatedItems: { schema: { $schema: D2020, type: "array", unevaluatedItems: false }, at: "unevaluatedItems" },
  $dynamicRef: { schema: { $schema: D2020, $dynamicRef: "#" }, at: "$dynamicRef", endless: true },
  $recursiveRef: { schema: { $schema: "https://json-schema.org/draft/2019-09/schema", $recursiveRef: "#" }, at: "$recursiveRef", endless: true },
};
