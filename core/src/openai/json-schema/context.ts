/**
 * The state one `prepareJsonSchema` call carries through its passes, and the one place that
 * applies `strict`: an unenforceable keyword is either refused (400) or listed for the check
 * after generation.
 */
import { ShimmyError } from "../../errors.js";
import type { Draft } from "../../schema/dialect.js";
import { ruleById, type RuleId } from "./keywords.js";
import type { SchemaObject } from "./walk.js";

/** A keyword the grammar does not enforce, so the answer must be checked against it. */
export interface UnenforcedKeyword {
  /** The JSON Schema keyword, e.g. `minimum`. */
  keyword: string;
  /** Its full dotted path in the request, e.g. `response_format.json_schema.schema.properties.age.minimum`. */
  param: string;
}

/** A schema in node-llama-cpp's dialect (`GbnfJsonSchema`), built fresh by the translator. */
export type GrammarSchema = Record<string, unknown>;

/** What the passes share. */
export interface SchemaContext {
  /** The schema as the client sent it. */
  root: unknown;
  /** The dotted path of the schema in the request. */
  rootParam: string;
  strict: boolean;
  draft: Draft;
  unenforced: UnenforcedKeyword[];
  /**
   * The JSON pointers of the `$ref` targets being translated (and `/`, the root): a `$ref` to one
   * of them is a cycle, whatever path led there.
   */
  translating: Set<string>;
  /** The root `$defs` of the grammar schema, filled as references are translated. */
  defs: Record<string, GrammarSchema>;
  /** Each referenced pointer's def name and translation (null: the target allows no value). */
  defByPointer: Map<string, { name: string; schema: GrammarSchema | null }>;
  /**
   * A checker of literal values against a schema node (ajv, with the root's `$defs` and
   * `definitions` at hand), or null when the node cannot be compiled on its own.
   */
  literalChecker(schema: SchemaObject): ((value: unknown) => boolean) | null;
}

/** The dotted request path of a location given by its segments below the schema. */
export function paramOf(context: SchemaContext, path: readonly string[]): string {
  return [context.rootParam, ...path].join(".");
}

/**
 * Applies the policy to an unenforceable keyword at `path` (whose last segment is the keyword):
 * under `strict` a 400 naming its full path; otherwise it is listed in `unenforced`.
 */
export function report(context: SchemaContext, ruleId: RuleId, path: readonly string[]): void {
  const param = paramOf(context, path);
  const keyword = path[path.length - 1] ?? ruleById(ruleId).keyword;
  if (context.strict) {
    const { reason } = ruleById(ruleId);
    throw new ShimmyError(
      "invalid_parameter",
      `${param}: the JSON Schema keyword "${keyword}" cannot be enforced while generating (${reason.replace(/\.$/, "")}). ` +
        `Without "strict": true it is checked after generation instead.`,
      { param },
    );
  }
  if (!context.unenforced.some((entry) => entry.param === param)) context.unenforced.push({ keyword, param });
}

/** A 400 for a schema that is malformed at `path`. */
export function invalidSchema(context: SchemaContext, path: readonly string[], message: string): ShimmyError {
  const param = paramOf(context, path);
  return new ShimmyError("invalid_parameter", `${param} ${message}`, { param });
}
