/**
 * A JSON value of a document (a step's `with`, `if`, `foreach`, the run's `output`) with its
 * `${{ }}` templates parsed once, at planning, and resolved for each attempt. A string that is
 * exactly one expression takes the expression's value and type; an expression inside longer text is
 * written into it (strings as they are, other values as JSON, null as nothing). Subtrees without
 * expressions are kept as they are and shared, never copied.
 */
import { CompiledExpression, ExpressionError } from "./expression.js";
import { hasExpression, splitTemplate, TemplateSyntaxError } from "./template.js";
import { joinPath } from "./workflow-schema.js";

/** A value ready to resolve. */
export type CompiledValue =
  | { kind: "literal"; value: unknown }
  | { kind: "expression"; expression: CompiledExpression }
  | { kind: "template"; parts: (string | CompiledExpression)[] }
  | { kind: "array"; items: CompiledValue[] }
  | { kind: "object"; entries: [string, CompiledValue][] };

/** An expression of a document, with the JSON path of the string it sits in. */
export interface LocatedExpression {
  path: string;
  expression: CompiledExpression;
}

/** A template or expression that does not parse, with the JSON path of its string. */
export class TemplateError extends Error {
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message);
    this.name = "TemplateError";
  }
}

/**
 * Parses every template in `value`; `found` collects each expression with its path (for the planner's checks).
 * @throws TemplateError naming the path of the first string that does not parse.
 */
export function compileValue(value: unknown, path: string, found: LocatedExpression[]): CompiledValue {
  if (typeof value === "string") return compileString(value, path, found);
  if (Array.isArray(value)) {
    const items = value.map((item, i) => compileValue(item, joinPath(path, String(i)), found));
    return items.every((item) => item.kind === "literal") ? { kind: "literal", value } : { kind: "array", items };
  }
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value).map(([key, item]): [string, CompiledValue] => [key, compileValue(item, joinPath(path, key), found)]);
    return entries.every(([, item]) => item.kind === "literal") ? { kind: "literal", value } : { kind: "object", entries };
  }
  return { kind: "literal", value };
}

function compileString(value: string, path: string, found: LocatedExpression[]): CompiledValue {
  if (!hasExpression(value)) return { kind: "literal", value };
  let pieces;
  try {
    pieces = splitTemplate(value);
  } catch (err) {
    if (err instanceof TemplateSyntaxError) throw new TemplateError(`${err.message} (at character ${err.offset})`, path);
    throw err;
  }
  const parts = pieces.map((piece) => {
    if ("text" in piece) return piece.text;
    try {
      const expression = CompiledExpression.compile(piece.expression);
      found.push({ path, expression });
      return expression;
    } catch (err) {
      if (!(err instanceof ExpressionError)) throw err;
      const at = err.position === null ? "" : ` (at character ${piece.offset + err.position})`;
      throw new TemplateError(`the expression ${JSON.stringify(piece.expression.trim())} does not parse: ${err.message}${at}`, path);
    }
  });
  const [only] = parts;
  if (parts.length === 1 && only instanceof CompiledExpression) return { kind: "expression", expression: only };
  return { kind: "template", parts };
}

/**
 * The value with every template resolved over `context`.
 * @throws ExpressionError from the first expression that fails.
 */
export async function resolveValue(value: CompiledValue, context: object): Promise<unknown> {
  switch (value.kind) {
    case "literal":
      return value.value;
    case "expression":
      return value.expression.evaluate(context);
    case "template": {
      let text = "";
      for (const part of value.parts) text += typeof part === "string" ? part : interpolate(await part.evaluate(context));
      return text;
    }
    case "array": {
      const items: unknown[] = [];
      for (const item of value.items) items.push(await resolveValue(item, context));
      return items;
    }
    case "object": {
      const entries: [string, unknown][] = [];
      for (const [key, item] of value.entries) entries.push([key, await resolveValue(item, context)]);
      // fromEntries defines each key, so a "__proto__" key stays data rather than setting a prototype.
      return Object.fromEntries(entries);
    }
  }
}

/** How a value reads inside text. */
function interpolate(value: unknown): string {
  if (value === null || value === undefined) return "";
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** Whether a resolved `if` lets its step run: false, null, 0, "" and an empty list skip it. */
export function isTruthy(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  return Boolean(value);
}
