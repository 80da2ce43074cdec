/**
 * Every row of the keyword table, exercised: a schema using the keyword is prepared with
 * `strict` on and off, and the outcome must match the row's class.
 */
import { describe, expect, it } from "vitest";
import { ShimmyError } from "../../errors.js";
import { KEYWORD_RULES } from "./keywords.js";
import { prepareJsonSchema } from "./prepare-schema.js";
import { KEYWORD_CASES as CASES } from "./keyword-cases.fixture.js";

const P = "response_format.json_schema.schema";

/** Whether any object inside `value` has `key` as a key. */
function hasKey(value: unknown, key: string): boolean {
  if (Array.isArray(value)) return value.some((item) => hasKey(item, key));
  if (typeof value !== "object" || value === null) return false;
  return Object.entries(value).some(([k, item]) => k === key || hasKey(item, key));
}

function refusal(run: () => unknown): ShimmyError {
  try {
    run();
  } catch (error) {
    if (error instanceof ShimmyError) return error;
    throw error;
  }
  throw new Error("expected a refusal");
}

describe("the keyword table", () => {
  it("has unique ids and a test case for every row", () => {
    const ids = KEYWORD_RULES.map((rule) => rule.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(Object.keys(CASES).sort()).toEqual([...ids].sort());
  });

  for (const rule of KEYWORD_RULES) {
    const example = CASES[rule.id];
    it(`${rule.id}: ${rule.class}`, () => {
      if ("endless" in example && example.endless) {
        expect(refusal(() => prepareJsonSchema(example.schema, { strict: true, param: P })).param).toBe(`${P}.${example.at}`);
        const endless = refusal(() => prepareJsonSchema(example.schema, { strict: false, param: P }));
        expect(endless.param).toBe(P);
        expect(endless.message).toContain("refers to itself without end");
        return;
      }
      const relaxed = prepareJsonSchema(example.schema, { strict: false, param: P });
      if (rule.class === "unenforceable") {
        if (!("at" in example)) throw new Error(`row ${rule.id} needs the keyword's path`);
        const param = `${P}.${example.at}`;
        const error = refusal(() => prepareJsonSchema(example.schema, { strict: true, param: P }));
        expect(error.code).toBe("invalid_parameter");
        expect(error.status).toBe(400);
        expect(error.param).toBe(param);
        expect(error.message).toContain(`"${rule.keyword}" cannot be enforced while generating`);
        expect(error.message).toContain("checked after generation instead");
        expect(relaxed.unenforced).toContainEqual({ keyword: rule.keyword, param });
        // Keywords that are always unenforceable never reach the grammar.
        if (rule.keyword === rule.id) expect(hasKey(relaxed.grammarSchema, rule.keyword)).toBe(false);
        if (example.grammar) expect(relaxed.grammarSchema).toEqual(example.grammar);
        return;
      }
      const strict = prepareJsonSchema(example.schema, { strict: true, param: P });
      for (const prepared of [strict, relaxed]) {
        expect(prepared.unenforced).toEqual([]);
        expect(prepared.grammarSchema).toEqual(example.grammar);
      }
      if (rule.class === "dropped") {
        const key = rule.id === "(other)" ? "x-vendor" : rule.keyword;
        expect(hasKey(strict.grammarSchema, key)).toBe(false);
      }
    });
  }
});
