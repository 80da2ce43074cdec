/**
 * The one path that checks request bodies, for every route (`/v1`, `/api`): schemas are compiled
 * once, when the route module loads, by one ajv, and the first fault becomes a
 * {@link ShimmyError} `invalid_parameter` whose `param` is the dotted path of the field and whose
 * message says what to send instead.
 *
 * A schema may override both per node with two annotations: {@link MESSAGE_KEYWORD} and
 * {@link PARAM_KEYWORD}.
 */
import { Ajv, type ErrorObject, type SchemaObject, type ValidateFunction } from "ajv";
import { ShimmyError } from "../errors.js";
import { describeAjvError, errorSegments, quoteJson } from "../schema/ajv-errors.js";

/**
 * Annotation keyword: `{[ajvKeyword]: template}` replacing the generic message when that keyword
 * fails at this schema. `{path}` is the dotted path, `{value}` the offending value as JSON.
 */
export const MESSAGE_KEYWORD = "x-messages";

/** Annotation keyword: a fixed `param` to report instead of the failing value's own path. */
export const PARAM_KEYWORD = "x-param";

// Bodies are draft-07 schemas of our own. `verbose` puts the failing value and its schema on each
// error: the messages quote the value and read their overrides from the schema's annotations.
const ajv = new Ajv({ allErrors: false, strict: false, verbose: true });

/**
 * Compiles the schema of a request body (or of some of its fields). Call it at module load, once
 * per schema, never per request.
 *
 * @example
 * const validateLoad = compileBodySchema({ type: "object", required: ["model"], properties: { model: { type: "string" } } });
 */
export function compileBodySchema(schema: SchemaObject): ValidateFunction {
  return ajv.compile(schema);
}

/**
 * Returns `body` typed when it is a JSON object that passes `validate`; unknown fields are kept
 * unless the schema refuses them.
 *
 * @throws ShimmyError `invalid_parameter` (400) naming the first offending field by its dotted path.
 * @example
 * const { model } = checkBody<{ model: string }>(validateLoad, ctx.state.body);
 */
export function checkBody<T>(validate: ValidateFunction, body: unknown): T {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new ShimmyError("invalid_parameter", "The request body must be a JSON object", { param: null });
  }
  if (validate(body)) return body as T;
  throw bodyError(validate.errors ?? []);
}

/**
 * Turns ajv's errors for a body (the first one matters: the body ajv stops there) into the
 * `invalid_parameter` error a client sees, applying the failing node's annotations.
 */
export function bodyError(errors: readonly ErrorObject[]): ShimmyError {
  const first = errors[0];
  if (first === undefined) {
    return new ShimmyError("invalid_parameter", "The request body is invalid", { param: null });
  }
  const path = errorSegments(first, errors).join(".");
  const annotations = (first.parentSchema ?? {}) as Record<string, unknown>;
  const fixedParam = annotations[PARAM_KEYWORD];
  const param = typeof fixedParam === "string" ? fixedParam : path === "" ? null : path;
  const template = (annotations[MESSAGE_KEYWORD] as Record<string, string> | undefined)?.[first.keyword];
  const message =
    template !== undefined
      ? template.replaceAll("{path}", path).replaceAll("{value}", quoteJson(first.data))
      : describeAjvError(first, path);
  return new ShimmyError("invalid_parameter", message, { param });
}
