import { describe, expect, it } from "vitest";
import { ShimmyError } from "../errors.js";
import { MESSAGE_KEYWORD, PARAM_KEYWORD, checkBody, compileBodySchema } from "./validate-body.js";

const validate = compileBodySchema({
  type: "object",
  required: ["model"],
  properties: {
    model: { type: "string", minLength: 1 },
    count: { type: ["integer", "null"], minimum: 1 },
    mode: { enum: ["a", "b"], [MESSAGE_KEYWORD]: { enum: "{path} must be a or b, not {value}" } },
    nested: { type: "object", additionalProperties: false, properties: { ok: { type: "boolean" } } },
    fixed: { type: "array", items: { type: "string", [PARAM_KEYWORD]: "fixed" } },
  },
});

/** Expects `body` refused with a ShimmyError having `fields`. */
function expectRefused(body: unknown, fields: Partial<ShimmyError>): void {
  expect(() => checkBody(validate, body)).toThrow(expect.objectContaining({ name: "ShimmyError", code: "invalid_parameter", status: 400, ...fields }));
}

describe("checkBody", () => {
  it("returns a body that passes, unknown fields kept", () => {
    expect(checkBody(validate, { model: "m", extra: 1 })).toEqual({ model: "m", extra: 1 });
  });

  it("refuses a body that is not a JSON object, naming no parameter", () => {
    for (const body of [null, [], "x", 3]) {
      expectRefused(body, { param: null, message: "The request body must be a JSON object" });
    }
  });

  it.each([
    [{}, "model", "Missing required parameter: model"],
    [{ model: "" }, "model", "model must not be empty"],
    [{ model: "m", count: "2" }, "count", "count must be an integer or null"],
    [{ model: "m", count: 0 }, "count", "count must be at least 1"],
    [{ model: "m", mode: "c" }, "mode", 'mode must be a or b, not "c"'],
    [{ model: "m", nested: { ok: true, typo: 1 } }, "nested.typo", "Unknown parameter: nested.typo"],
    [{ model: "m", fixed: ["a", 2] }, "fixed", "fixed.1 must be a string"],
  ])("names the field of the first fault: %j", (body, param, message) => {
    expectRefused(body, { param, message });
  });
});
