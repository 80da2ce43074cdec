/**
 * One keyword policy for every JSON Schema a client sends (`response_format.json_schema.schema`,
 * `tools[].function.parameters`): the schema becomes a grammar schema node-llama-cpp enforces
 * exactly, plus the list of what the grammar cannot enforce and a validator for the answer.
 *
 * Three passes over the client's schema:
 * 1. ajv compiles it as sent (a malformed schema is a 400 before anything else looks at it);
 * 2. the audit reports every unenforceable keyword by its full path (`keywords.ts` decides);
 * 3. the translation builds the grammar schema (`translate.ts`).
 * Under `strict: true` an unenforceable keyword is a 400; otherwise it is left out of the grammar
 * and listed in `unenforced`, and the caller must check the answer with `validate`.
 */
import { ShimmyError } from "../../errors.js";
import { MAX_JSON_DEPTH, exceedsJsonDepth } from "../json-depth.js";
import { invalidSchema, paramOf, report, type GrammarSchema, type SchemaContext, type UnenforcedKeyword } from "./context.js";
import { MAX_GRAMMAR_REPETITIONS, REPETITION_MINIMUMS, capRepetitions } from "./limits.js";
import { newAjv, type Draft } from "../../schema/dialect.js";
import { ruleFor, type RuleId } from "./keywords.js";
import { translateNode } from "./translate.js";
import { detectDraft, validatorFor, type Verdict } from "./validator.js";
import { childSchemas, isObject, type SchemaObject } from "./walk.js";

export type { UnenforcedKeyword } from "./context.js";
export type { Verdict } from "./validator.js";

/** How to prepare a schema. */
export interface PrepareOptions {
  /** The request's `strict` flag: refuse what the grammar cannot enforce instead of checking it after. */
  strict: boolean;
  /** The dotted path of the schema in the request, e.g. `tools.0.function.parameters`. */
  param: string;
}

/** A schema ready for generation and for checking the answer. */
export interface PreparedSchema {
  /** A `GbnfJsonSchema`-compatible object for `llama.createGrammarForJsonSchema`. */
  grammarSchema: object;
  /** What the grammar does not enforce (empty under `strict`): the answer must pass `validate`. */
  unenforced: UnenforcedKeyword[];
  /** Checks a parsed answer against the schema exactly as sent; the message names path and keyword. */
  validate: (value: unknown) => Verdict;
  /** The dialect the schema was read in. */
  draft: Draft;
}

/**
 * The schema of `response_format: {type: "json_object"}`: any JSON object. Prepare it like a
 * client's schema to get a grammar that, unlike node-llama-cpp's `json` grammar, allows only objects.
 */
export const JSON_OBJECT_SCHEMA: Readonly<{ type: "object" }> = Object.freeze({ type: "object" });

/**
 * Prepares a client's JSON Schema under the keyword policy.
 *
 * @throws ShimmyError `invalid_parameter` (with `param` at the fault) when the schema is not a
 *   schema, is malformed, allows no value, or, under `strict`, uses a keyword the grammar cannot enforce.
 */
export function prepareJsonSchema(schema: unknown, options: PrepareOptions): PreparedSchema {
  const { strict, param } = options;
  if (!isObject(schema) && typeof schema !== "boolean") {
    throw new ShimmyError("invalid_parameter", `${param} must be a JSON Schema (an object)`, { param });
  }
  // Every pass below (ajv, the audit, the translation, the grammar builder) recurses.
  if (exceedsJsonDepth(schema)) {
    throw new ShimmyError("invalid_parameter", `${param} nests objects and arrays more than ${MAX_JSON_DEPTH} levels deep`, { param });
  }
  const draft = detectDraft(schema);
  const context: SchemaContext = {
    root: schema,
    rootParam: param,
    strict,
    draft,
    unenforced: [],
    translating: new Set(["/"]),
    defs: {},
    defByPointer: new Map(),
    literalChecker: (node) => literalChecker(node, schema, draft),
  };
  audit(schema, [], context);
  // After the audit, so that under strict an unenforceable keyword is named before anything else.
  const validate = validatorFor(schema, draft, param);
  const translated = translateNode(schema, [], context);
  if (!translated) {
    throw new ShimmyError("invalid_parameter", `${paramOf(context, [])} allows no value at all, so nothing can be generated`, { param });
  }
  // Upper bounds past what a grammar can repeat are held to the cap: still valid for the schema as sent.
  const grammarSchema: GrammarSchema = capRepetitions(Object.keys(context.defs).length > 0 ? { ...translated, $defs: context.defs } : { ...translated });
  return { grammarSchema, unenforced: context.unenforced, validate, draft };
}

/**
 * Pass 2 of 3: reports every keyword whose row is `unenforceable`, wherever it stands in the
 * subschemas that shape the grammar (properties, items, branches, definitions), and refuses lower
 * bounds the grammar cannot repeat. Subschemas under an unenforceable keyword (`not`, `if`...) are not
 * visited: the keyword itself is reported.
 */
function audit(node: unknown, path: readonly string[], context: SchemaContext): void {
  if (!isObject(node)) return;
  for (const [key, value] of Object.entries(node)) {
    if (REPETITION_MINIMUMS.has(key) && typeof value === "number" && value > MAX_GRAMMAR_REPETITIONS) {
      throw invalidSchema(context, [...path, key], `is ${value}; a grammar can write at most ${MAX_GRAMMAR_REPETITIONS} characters, items or properties`);
    }
    const rule = ruleFor(key, value, context.draft);
    if (rule.class === "unenforceable") report(context, rule.id as RuleId, [...path, key]);
  }
  for (const [segments, child] of childSchemas(node, true)) {
    const keyword = segments[0]!;
    if (ruleFor(keyword, node[keyword], context.draft).class === "translated") audit(child, [...path, ...segments], context);
  }
}

/**
 * Checks literal values (`const`/`enum`) against the other keywords of their node, with the
 * root's definitions at hand for `#/$defs/...` references; null when the node does not compile alone.
 */
function literalChecker(node: SchemaObject, root: unknown, draft: Draft): ((value: unknown) => boolean) | null {
  const defs: SchemaObject = {};
  if (isObject(root) && isObject(root.$defs)) defs.$defs = root.$defs;
  if (isObject(root) && isObject(root.definitions)) defs.definitions = root.definitions;
  try {
    const validate = newAjv(draft).compile({ ...node, ...defs });
    return (value) => validate(value) === true;
  } catch {
    return null;
  }
}
