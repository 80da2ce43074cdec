/**
 * The keyword policy: what Shimmy does with each JSON Schema keyword a client sends in
 * `response_format.json_schema.schema` or a tool's `function.parameters`.
 *
 * This table is the one source of truth: `prepare-schema.ts` looks every keyword up here (its class
 * decides whether it is kept, translated or refused), and `docs/reference/json-schema.md` is rendered
 * from it. node-llama-cpp 3.22's JSON-Schema-to-grammar converter knows a small dialect
 * (`GbnfJsonSchema`) and silently ignores everything else, so each keyword needs a decision.
 */
import type { Draft } from "../../schema/dialect.js";

/**
 * - `dropped`: only describes; removed from the grammar schema and asserts nothing.
 * - `translated`: rewritten exactly into node-llama-cpp's dialect (the grammar may be narrower than the
 *   schema, never wider: every output it allows is valid).
 * - `unenforceable`: the grammar cannot enforce it. Refused under `strict: true`; otherwise removed
 *   from the grammar and checked after generation.
 */
export type KeywordClass = "dropped" | "translated" | "unenforceable";

/** One row of the policy. */
export interface KeywordRule {
  /** Unique id: the keyword, or `keyword:case` for a second row of the same keyword. */
  id: string;
  /** The keyword as written in a schema. */
  keyword: string;
  /** When this row applies, for keywords whose class depends on their value or surroundings. */
  when?: string;
  class: KeywordClass;
  /** What Shimmy does with it. */
  effect: string;
  /** Why, in one sentence; quoted in the 400 that refuses an unenforceable keyword. */
  reason: string;
}

const CHECKED = "Removed from the grammar; checked after generation.";

/** Every row of the policy, in the order the reference page lists them. */
export const KEYWORD_RULES = [
  // --- dropped: annotations ---
  { id: "$schema", keyword: "$schema", class: "dropped", effect: "Removed. It picks the dialect the answer is checked with: 2020-12 or 2019-09 by their URIs, draft-07 for any other; without it, 2020-12 when `prefixItems` or another 2020-12 keyword appears and no draft-07 form does.", reason: "It names a dialect and says nothing about values." },
  { id: "$id", keyword: "$id", class: "dropped", effect: "Removed.", reason: "It names the schema; `$ref`s are resolved within the document sent." },
  { id: "$anchor", keyword: "$anchor", class: "dropped", effect: "Removed (a `$ref` to an anchor is below).", reason: "It names a location and asserts nothing." },
  { id: "$dynamicAnchor", keyword: "$dynamicAnchor", class: "dropped", effect: "Removed.", reason: "It names a location for `$dynamicRef`." },
  { id: "$recursiveAnchor", keyword: "$recursiveAnchor", class: "dropped", effect: "Removed.", reason: "It names a location for `$recursiveRef` (2019-09)." },
  { id: "$vocabulary", keyword: "$vocabulary", class: "dropped", effect: "Removed.", reason: "Only meta-schemas use it." },
  { id: "$comment", keyword: "$comment", class: "dropped", effect: "Removed.", reason: "A note for schema authors." },
  { id: "title", keyword: "title", class: "dropped", effect: "Removed.", reason: "An annotation; node-llama-cpp has no place for it." },
  { id: "examples", keyword: "examples", class: "dropped", effect: "Removed.", reason: "An annotation." },
  { id: "example", keyword: "example", class: "dropped", effect: "Removed.", reason: "OpenAPI's annotation." },
  { id: "default", keyword: "default", class: "dropped", effect: "Removed: the model still writes the value.", reason: "An annotation; JSON Schema never fills defaults in." },
  { id: "deprecated", keyword: "deprecated", class: "dropped", effect: "Removed.", reason: "An annotation." },
  { id: "readOnly", keyword: "readOnly", class: "dropped", effect: "Removed.", reason: "An annotation." },
  { id: "writeOnly", keyword: "writeOnly", class: "dropped", effect: "Removed.", reason: "An annotation." },
  { id: "contentEncoding", keyword: "contentEncoding", class: "dropped", effect: "Removed.", reason: "An annotation in 2019-09 and later." },
  { id: "contentMediaType", keyword: "contentMediaType", class: "dropped", effect: "Removed.", reason: "An annotation in 2019-09 and later." },
  { id: "contentSchema", keyword: "contentSchema", class: "dropped", effect: "Removed.", reason: "An annotation in 2019-09 and later." },
  { id: "discriminator", keyword: "discriminator", class: "dropped", effect: "Removed; the branches' own `const` properties do the work (see `oneOf`).", reason: "OpenAPI's hint for code generators." },
  { id: "format:other", keyword: "format", when: "any value but `date-time`, `date`, `time`", class: "dropped", effect: "Removed: the string is free.", reason: "`format` is an annotation in 2020-12 and is not checked after generation either; node-llama-cpp would allow only the empty string for a format it does not know." },
  { id: "uniqueItems:false", keyword: "uniqueItems", when: "`false`", class: "dropped", effect: "Removed.", reason: "It asserts nothing." },
  { id: "(other)", keyword: "any other keyword", when: "`x-…` and other vendor keywords", class: "dropped", effect: "Removed.", reason: "JSON Schema treats unknown keywords as annotations; the check after generation ignores them too." },
  // --- translated ---
  { id: "description", keyword: "description", class: "translated", effect: "Kept as is.", reason: "node-llama-cpp shows it to the model when the schema describes a function's parameters." },
  { id: "type", keyword: "type", class: "translated", effect: "One type: kept. Several: `string`, `number`, `integer`, `boolean`, `null` stay a `type` array; `object`, `array` and a string with limits become `oneOf` branches, one per type.", reason: "node-llama-cpp's `type` array holds primitive types only: it silently drops `object` and `array` (`[\"object\", \"null\"]` would generate only `null`)." },
  { id: "type:absent", keyword: "type", when: "absent", class: "translated", effect: "Every JSON type is allowed: one `oneOf` branch per type, each with the node's keywords for that type, so `{}` is any JSON value.", reason: "node-llama-cpp generates only `null` for a schema without `type`." },
  { id: "nullable", keyword: "nullable", class: "translated", effect: "`true` adds `null` to `type`.", reason: "OpenAPI 3.0's spelling of `type: [T, \"null\"]`." },
  { id: "const", keyword: "const", class: "translated", effect: "A string, number, boolean or null stays `const`; an object or array becomes an exact object or tuple schema of `const`s.", reason: "node-llama-cpp only takes primitive literals (it throws on others)." },
  { id: "enum", keyword: "enum", class: "translated", effect: "Values that the node's other keywords reject are removed; primitives stay `enum`, objects and arrays become `oneOf` branches as for `const`.", reason: "node-llama-cpp's `enum` ignores the keywords beside it: `{type: \"string\", enum: [\"a\", 1]}` could generate `1`." },
  { id: "enum:unchecked", keyword: "enum", when: "beside keywords with `$ref`s outside `$defs`/`definitions`", class: "unenforceable", effect: CHECKED, reason: "its values cannot be checked against those keywords before generating." },
  { id: "properties", keyword: "properties", class: "translated", effect: "Each translated. Every listed property is generated, optional or not; an optional one whose schema allows no value is left out.", reason: "node-llama-cpp makes every listed property required; an answer with all of them is still valid." },
  { id: "required", keyword: "required", class: "translated", effect: "Listed properties need nothing more (all are generated). A name missing from `properties` is added with the `additionalProperties` schema (any value when that is absent or `true`).", reason: "node-llama-cpp ignores `required`." },
  { id: "additionalProperties", keyword: "additionalProperties", class: "translated", effect: "`true`, `false` or a schema: kept. Absent: `false` when `properties` is present (only the listed properties are generated), `true` otherwise (any object).", reason: "node-llama-cpp defaults it to `false`, unlike JSON Schema: `{type: \"object\"}` alone would generate only `{}`." },
  { id: "minProperties", keyword: "minProperties", class: "translated", effect: "Kept; with `additionalProperties` absent, extra properties are allowed so the minimum can be reached.", reason: "node-llama-cpp reaches it with additional properties only." },
  { id: "maxProperties", keyword: "maxProperties", class: "translated", effect: "Kept; when it is below the number of listed properties, optional ones are left out of the grammar until it fits.", reason: "node-llama-cpp generates every listed property and would raise the maximum instead." },
  { id: "items", keyword: "items", when: "a schema", class: "translated", effect: "Kept (for the items after `prefixItems` in 2020-12); `false` ends the array after the prefix.", reason: "node-llama-cpp knows the 2020-12 form." },
  { id: "items:array", keyword: "items", when: "an array, draft-07 and 2019-09", class: "translated", effect: "Becomes `prefixItems`; `additionalItems` becomes `items`.", reason: "node-llama-cpp spells tuples the 2020-12 way." },
  { id: "additionalItems", keyword: "additionalItems", class: "translated", effect: "Becomes `items` after the tuple (draft-07, 2019-09; unknown in 2020-12).", reason: "node-llama-cpp spells tuples the 2020-12 way." },
  { id: "prefixItems", keyword: "prefixItems", class: "translated", effect: "Kept (2020-12; unknown, so removed, in older dialects). Every prefix item is generated, cut to `maxItems`; an item that allows no value ends the array before it.", reason: "node-llama-cpp always generates the whole prefix." },
  { id: "minItems", keyword: "minItems", class: "translated", effect: "Kept.", reason: "node-llama-cpp enforces it." },
  { id: "maxItems", keyword: "maxItems", class: "translated", effect: "Kept; it also cuts `prefixItems`.", reason: "node-llama-cpp enforces it but would raise it to the prefix length." },
  { id: "minLength", keyword: "minLength", class: "translated", effect: "Kept.", reason: "node-llama-cpp enforces it (in characters)." },
  { id: "maxLength", keyword: "maxLength", class: "translated", effect: "Kept.", reason: "node-llama-cpp enforces it (in characters)." },
  { id: "format", keyword: "format", when: "`date-time`, `date`, `time`", class: "translated", effect: "Kept: node-llama-cpp generates RFC 3339 text. Removed when `minLength` or `maxLength` is also set.", reason: "node-llama-cpp's format grammars ignore length limits." },
  { id: "anyOf", keyword: "anyOf", class: "translated", effect: "Becomes node-llama-cpp's `oneOf`; keywords beside it are merged into every branch.", reason: "node-llama-cpp's `oneOf` generates any one branch, which is what `anyOf` means; it ignores keywords beside it." },
  { id: "anyOf:siblings", keyword: "anyOf", when: "or `oneOf`, beside keywords that cannot be merged into its branches", class: "unenforceable", effect: "The branches are removed from the grammar and checked after generation.", reason: "node-llama-cpp ignores keywords beside `oneOf` and these could not be merged into each branch." },
  { id: "oneOf", keyword: "oneOf", when: "branches that never overlap", class: "translated", effect: "Kept; branches are proved apart by their JSON types, their `const`/`enum` values, or an object property whose `const`/`enum` values differ (a discriminator).", reason: "node-llama-cpp's `oneOf` generates any branch and never checks that only one matches." },
  { id: "oneOf:overlapping", keyword: "oneOf", when: "branches that may overlap", class: "unenforceable", effect: "The grammar still generates one of the branches; that exactly one matches is checked after generation.", reason: "the grammar generates any branch and cannot exclude a value that matches two." },
  { id: "allOf", keyword: "allOf", class: "translated", effect: "Merged into its schema: types intersected, `required` joined, `properties` merged, bounds tightened.", reason: "node-llama-cpp has no `allOf`." },
  { id: "allOf:conflict", keyword: "allOf", when: "schemas whose keywords cannot be merged exactly", class: "unenforceable", effect: CHECKED, reason: "node-llama-cpp has no `allOf` and these schemas do not merge into one." },
  { id: "$ref", keyword: "$ref", when: "a JSON pointer into the document, not recursive", class: "translated", effect: "Becomes `#/$defs/NAME` with its target moved to the root `$defs`; keywords beside it are merged with the target.", reason: "node-llama-cpp only follows `#/$defs/NAME`." },
  { id: "$ref:recursive", keyword: "$ref", when: "recursive: its target refers back to itself", class: "unenforceable", effect: "The outer levels stay in the grammar; from the reference that closes the cycle on, any JSON value is allowed and checked after generation.", reason: "node-llama-cpp generates every listed property, so an optional recursive property could make it recurse without end." },
  { id: "$ref:other", keyword: "$ref", when: "to an anchor such as `#name`", class: "unenforceable", effect: "Any JSON value in the grammar; checked after generation. A `$ref` to another document is refused in both modes: nothing can resolve it.", reason: "only JSON-pointer references within the schema are followed." },
  { id: "$ref:siblings", keyword: "$ref", when: "beside keywords that cannot be merged with its target", class: "unenforceable", effect: "The reference is removed from the grammar and checked after generation.", reason: "node-llama-cpp ignores keywords beside `$ref` and these do not merge with its target." },
  { id: "$defs", keyword: "$defs", class: "translated", effect: "The definitions that are referenced move to the root `$defs`, renamed to safe names; the rest are left out.", reason: "node-llama-cpp reads definitions from `$defs`." },
  { id: "definitions", keyword: "definitions", class: "translated", effect: "As `$defs` (the draft-07 name); references to them are rewritten.", reason: "node-llama-cpp reads definitions from `$defs` only." },
  // --- unenforceable ---
  { id: "pattern", keyword: "pattern", class: "unenforceable", effect: CHECKED, reason: "node-llama-cpp's converter ignores regular expressions." },
  { id: "minimum", keyword: "minimum", class: "unenforceable", effect: CHECKED, reason: "the number grammar generates digits and cannot bound their value." },
  { id: "maximum", keyword: "maximum", class: "unenforceable", effect: CHECKED, reason: "the number grammar generates digits and cannot bound their value." },
  { id: "exclusiveMinimum", keyword: "exclusiveMinimum", class: "unenforceable", effect: CHECKED, reason: "the number grammar generates digits and cannot bound their value." },
  { id: "exclusiveMaximum", keyword: "exclusiveMaximum", class: "unenforceable", effect: CHECKED, reason: "the number grammar generates digits and cannot bound their value." },
  { id: "multipleOf", keyword: "multipleOf", class: "unenforceable", effect: CHECKED, reason: "the number grammar cannot express divisibility." },
  { id: "uniqueItems", keyword: "uniqueItems", when: "`true`", class: "unenforceable", effect: CHECKED, reason: "a grammar cannot compare one array item with another." },
  { id: "contains", keyword: "contains", class: "unenforceable", effect: CHECKED, reason: "node-llama-cpp's arrays have one schema per position, not a count of matches." },
  { id: "minContains", keyword: "minContains", class: "unenforceable", effect: CHECKED, reason: "it counts `contains` matches, which the grammar cannot." },
  { id: "maxContains", keyword: "maxContains", class: "unenforceable", effect: CHECKED, reason: "it counts `contains` matches, which the grammar cannot." },
  { id: "patternProperties", keyword: "patternProperties", class: "unenforceable", effect: CHECKED, reason: "node-llama-cpp cannot match property names against regular expressions." },
  { id: "propertyNames", keyword: "propertyNames", class: "unenforceable", effect: CHECKED, reason: "node-llama-cpp cannot constrain the names of additional properties." },
  { id: "dependentRequired", keyword: "dependentRequired", class: "unenforceable", effect: CHECKED, reason: "the grammar cannot make one property depend on another." },
  { id: "dependentSchemas", keyword: "dependentSchemas", class: "unenforceable", effect: CHECKED, reason: "the grammar cannot make one property depend on another." },
  { id: "dependencies", keyword: "dependencies", class: "unenforceable", effect: CHECKED, reason: "the grammar cannot make one property depend on another." },
  { id: "if", keyword: "if", class: "unenforceable", effect: CHECKED, reason: "node-llama-cpp has no conditionals." },
  { id: "then", keyword: "then", class: "unenforceable", effect: CHECKED, reason: "node-llama-cpp has no conditionals." },
  { id: "else", keyword: "else", class: "unenforceable", effect: CHECKED, reason: "node-llama-cpp has no conditionals." },
  { id: "not", keyword: "not", class: "unenforceable", effect: CHECKED, reason: "a grammar cannot generate the complement of a schema." },
  { id: "unevaluatedProperties", keyword: "unevaluatedProperties", class: "unenforceable", effect: CHECKED, reason: "it depends on what other subschemas evaluated, which the grammar does not track." },
  { id: "unevaluatedItems", keyword: "unevaluatedItems", class: "unenforceable", effect: CHECKED, reason: "it depends on what other subschemas evaluated, which the grammar does not track." },
  { id: "$dynamicRef", keyword: "$dynamicRef", class: "unenforceable", effect: CHECKED, reason: "its target is only known while validating." },
  { id: "$recursiveRef", keyword: "$recursiveRef", class: "unenforceable", effect: CHECKED, reason: "its target is only known while validating." },
] as const satisfies readonly KeywordRule[];

/** The id of a row of {@link KEYWORD_RULES}. */
export type RuleId = (typeof KEYWORD_RULES)[number]["id"];

const BY_ID: ReadonlyMap<string, KeywordRule> = new Map(KEYWORD_RULES.map((rule) => [rule.id, rule]));

/** The row with this id. */
export function ruleById(id: RuleId): KeywordRule {
  return BY_ID.get(id)!;
}

/** `format` values node-llama-cpp has a grammar for. */
export const GRAMMAR_FORMATS: ReadonlySet<unknown> = new Set(["date-time", "date", "time"]);

/**
 * The row that applies to `keyword: value` where it stands in a schema of `draft`. Rows that
 * depend on the surroundings (recursive `$ref`, overlapping `oneOf`, ...) are chosen while
 * translating, not here; this picks their plain row.
 */
export function ruleFor(keyword: string, value: unknown, draft: Draft): KeywordRule {
  switch (keyword) {
    case "format":
      return ruleById(GRAMMAR_FORMATS.has(value) ? "format" : "format:other");
    case "uniqueItems":
      return ruleById(value === true ? "uniqueItems" : "uniqueItems:false");
    case "items":
      return ruleById(Array.isArray(value) ? "items:array" : "items");
    // Each dialect knows only its own tuple keyword; the other is an unknown keyword there.
    case "prefixItems":
      return ruleById(draft === "2020-12" ? "prefixItems" : "(other)");
    case "additionalItems":
      return ruleById(draft === "2020-12" ? "(other)" : "additionalItems");
  }
  const rule = BY_ID.get(keyword);
  // Rows with a `when` that is not the keyword's plain case are never found by name alone.
  return rule && rule.keyword === keyword ? rule : ruleById("(other)");
}
