/**
 * Reading ajv's errors: where in the value they are, and what to send instead. The one place
 * that turns an `ErrorObject` into words; request bodies (`http/validate-body.ts`), the config
 * file and plugin schemas all phrase their faults from here.
 */
import type { ErrorObject } from "ajv";

/** `/messages/2/role` → `["messages", "2", "role"]`, undoing JSON Pointer's `~1` and `~0`. */
export function pointerToSegments(pointer: string): string[] {
  if (pointer === "") return [];
  return pointer
    .slice(1)
    .split("/")
    .map((s) => s.replaceAll("~1", "/").replaceAll("~0", "~"));
}

/**
 * The dotted path of the field an error is about: its instance path, plus the property that is
 * missing (`required`) or unknown (`additionalProperties`). A failing property name is reported on
 * its object, so `errors` (all of them) lets the `propertyNames` follow-up name the key.
 */
export function errorSegments(error: ErrorObject, errors: readonly ErrorObject[] = [error]): string[] {
  const segments = pointerToSegments(error.instancePath);
  const params = error.params as Record<string, unknown>;
  if (error.keyword === "required") segments.push(String(params.missingProperty));
  if (error.keyword === "additionalProperties") segments.push(String(params.additionalProperty));
  const names = errors.find((e) => e.keyword === "propertyNames" && e.instancePath === error.instancePath);
  if (names !== undefined) segments.push(String((names.params as { propertyName: string }).propertyName));
  return segments;
}

const ARTICLES: Record<string, string> = {
  string: "a string",
  number: "a number",
  integer: "an integer",
  boolean: "a boolean",
  array: "an array",
  object: "an object",
  null: "null",
};

/** The message of one ajv error about the field at dotted `path`, phrased as what to send. */
export function describeAjvError(error: ErrorObject, path: string): string {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "required":
      return `Missing required parameter: ${path}`;
    case "additionalProperties":
      return `Unknown parameter: ${path}`;
    case "type": {
      const types = ([] as unknown[]).concat(params.type).map((t) => ARTICLES[String(t)] ?? String(t));
      return `${path} must be ${joinOr(types)}`;
    }
    case "minimum":
      return `${path} must be at least ${String(params.limit)}`;
    case "maximum":
      return `${path} must be at most ${String(params.limit)}`;
    case "minLength":
      return params.limit === 1 ? `${path} must not be empty` : `${path} must have at least ${String(params.limit)} characters`;
    case "minItems":
      return `${path} must have at least ${String(params.limit)} items`;
    case "maxItems":
      return `${path} must have at most ${String(params.limit)} items`;
    case "enum":
      return `${path} must be one of ${(params.allowedValues as unknown[]).map(String).join(", ")}`;
    case "const":
      return `${path} must be ${quoteJson(params.allowedValue)}`;
    default:
      return `${path} ${error.message ?? "is invalid"}`;
  }
}

/**
 * Every error as `pointer message`, joined with `; ` (`/` for the value itself): terse, for logs
 * and for messages about documents rather than request fields (plugin input, the lock file).
 */
export function ajvErrorsText(errors: readonly ErrorObject[] | null | undefined): string {
  return (errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? "is invalid"}`).join("; ");
}

/** A value as JSON, for quoting it in a message; `String` for what JSON cannot write. */
export function quoteJson(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

function joinOr(items: string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} or ${items[items.length - 1]}`;
}
