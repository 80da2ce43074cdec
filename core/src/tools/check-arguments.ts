/**
 * Checks the arguments a model wrote for a plugin tool against the tool's `inputSchema` before the
 * sandbox sees them, and says what is wrong in words a model can act on in its next round.
 */
import type { ValidateFunction } from "ajv";
import { compileInDialect } from "../schema/dialect.js";
import { describeAjvError, errorSegments } from "../schema/ajv-errors.js";

/** Arguments that passed, parsed; or why they did not. */
export type ArgumentsVerdict = { ok: true; value: Record<string, unknown> } | { ok: false; message: string };

// A plugin's schema objects live until it reloads: compile each once (ajv compiling is the slow part).
const validators = new WeakMap<object, ValidateFunction | null>();

function validatorFor(schema: Record<string, unknown>): ValidateFunction | null {
  let validate = validators.get(schema);
  if (validate === undefined) {
    try {
      validate = compileInDialect(schema);
    } catch {
      // The host validates input again with its own compiled copy; it reports such a schema itself.
      validate = null;
    }
    validators.set(schema, validate);
  }
  return validate;
}

/**
 * Parses `text` as a JSON object and validates it against `schema`.
 *
 * @example
 * checkArguments('{"expression": 7}', calculator.inputSchema)
 * // → { ok: false, message: "arguments.expression must be a string" }
 */
export function checkArguments(text: string, schema: Record<string, unknown>): ArgumentsVerdict {
  let value: unknown;
  try {
    // A call with no arguments at all is an empty object, as OpenAI's clients send it.
    value = text.trim() === "" ? {} : JSON.parse(text);
  } catch {
    return { ok: false, message: "arguments are not valid JSON" };
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) return { ok: false, message: "arguments must be a JSON object" };
  const validate = validatorFor(schema);
  if (validate && !validate(value)) {
    const errors = validate.errors ?? [];
    const first = errors[0];
    const message = first ? describeAjvError(first, ["arguments", ...errorSegments(first, errors)].join(".")) : "arguments break the tool's inputSchema";
    return { ok: false, message };
  }
  return { ok: true, value: value as Record<string, unknown> };
}
