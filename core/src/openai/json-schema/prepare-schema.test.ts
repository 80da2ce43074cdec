import { describe, expect, it } from "vitest";
import { ShimmyError } from "../../errors.js";
import { JSON_OBJECT_SCHEMA, prepareJsonSchema } from "./prepare-schema.js";
import { MAX_JSON_DEPTH } from "../json-depth.js";
import { MAX_GRAMMAR_REPETITIONS, REPETITION_MINIMUMS } from "./limits.js";
import { anyValue } from "./translate-containers.js";

const ANY = anyValue();
import { REAL_CLIENT_SCHEMAS } from "./test-schemas.fixture.js";
import { detectDraft, validatorCacheSize, VALIDATOR_CACHE_SIZE } from "./validator.js";

const P = "response_format.json_schema.schema";
const S = { type: "string" } as const;

function refusal(schema: unknown, options = { strict: true, param: P }): ShimmyError {
  try {
    prepareJsonSchema(schema, options);
  } catch (error) {
    if (error instanceof ShimmyError) return error;
    throw error;
  }
  throw new Error("expected a refusal");
}

describe("unenforceable keywords deep inside a schema", () => {
  const cases: [string, unknown, string][] = [
    ["a property", { type: "object", properties: { age: { type: "integer", minimum: 0 } } }, `${P}.properties.age.minimum`],
    ["array items", { type: "array", items: { type: "string", pattern: "^[a-z]+$" } }, `${P}.items.pattern`],
    ["an anyOf branch", { type: "object", properties: { x: { anyOf: [{ type: "null" }, { type: "number", maximum: 3 }] } } }, `${P}.properties.x.anyOf.1.maximum`],
    ["a $defs entry", { $defs: { Age: { type: "integer", multipleOf: 2 } }, type: "object", properties: { age: { $ref: "#/$defs/Age" } } }, `${P}.$defs.Age.multipleOf`],
    ["a definitions entry", { definitions: { Tag: { type: "string", pattern: "x" } }, type: "array", items: { $ref: "#/definitions/Tag" } }, `${P}.definitions.Tag.pattern`],
    ["an allOf item", { allOf: [S, { type: "string", format: "email", pattern: "@" }] }, `${P}.allOf.1.pattern`],
    ["a draft-07 tuple", { type: "array", items: [S, { type: "number", minimum: 1 }] }, `${P}.items.1.minimum`],
    ["additionalProperties", { type: "object", additionalProperties: { type: "string", pattern: "x" } }, `${P}.additionalProperties.pattern`],
  ];
  for (const [where, schema, param] of cases) {
    it(`in ${where}: refused under strict with the full path, listed otherwise`, () => {
      expect(refusal(schema).param).toBe(param);
      const relaxed = prepareJsonSchema(schema, { strict: false, param: P });
      expect(relaxed.unenforced.map((entry) => entry.param)).toEqual([param]);
      expect(JSON.stringify(relaxed.grammarSchema)).not.toMatch(/pattern|minimum|maximum|multipleOf/);
    });
  }

  it("names a tool's parameters by their own path", () => {
    const schema = { type: "object", properties: { q: { type: "string", pattern: "x" } } };
    const param = "tools.0.function.parameters";
    expect(refusal(schema, { strict: true, param }).param).toBe(`${param}.properties.q.pattern`);
  });

  it("lists every unenforceable keyword once when not strict", () => {
    const schema = { type: "object", properties: { a: { type: "number", minimum: 0, maximum: 1 }, b: { type: "string", pattern: "x" } } };
    expect(prepareJsonSchema(schema, { strict: false, param: P }).unenforced).toEqual([
      { keyword: "minimum", param: `${P}.properties.a.minimum` },
      { keyword: "maximum", param: `${P}.properties.a.maximum` },
      { keyword: "pattern", param: `${P}.properties.b.pattern` },
    ]);
  });
});

describe("recursive references", () => {
  const tree = { $defs: { node: { type: "object", properties: { name: S, kids: { type: "array", items: { $ref: "#/$defs/node" } } } } }, $ref: "#/$defs/node" };

  it("are refused under strict at the reference that closes the cycle", () => {
    expect(refusal(tree).param).toBe(`${P}.$defs.node.properties.kids.items.$ref`);
  });

  it("keep the outer levels in the grammar and free the cycle otherwise", () => {
    const prepared = prepareJsonSchema(tree, { strict: false, param: P });
    expect(prepared.grammarSchema).toEqual({
      $ref: "#/$defs/node",
      $defs: { node: { type: "object", properties: { name: S, kids: { type: "array", items: ANY } }, additionalProperties: false } },
    });
    expect(prepared.validate({ name: "a", kids: [{ name: "b", kids: [] }] })).toEqual({ ok: true });
    expect(prepared.validate({ name: "a", kids: [{ name: 1, kids: [] }] }).ok).toBe(false);
  });

  it("are found through the root (#) and through mutual references", () => {
    expect(refusal({ type: "object", properties: { child: { $ref: "#" } } }).param).toBe(`${P}.properties.child.$ref`);
    const mutual = { $defs: { A: { type: "object", properties: { b: { $ref: "#/$defs/B" } } }, B: { type: "array", items: { $ref: "#/$defs/A" } } }, $ref: "#/$defs/A" };
    expect(refusal(mutual).param).toBe(`${P}.$defs.B.items.$ref`);
  });

  it("are not confused with one definition used twice", () => {
    const diamond = { $defs: { Name: S }, type: "object", properties: { first: { $ref: "#/$defs/Name" }, last: { $ref: "#/$defs/Name" } } };
    const prepared = prepareJsonSchema(diamond, { strict: true, param: P });
    expect(prepared.grammarSchema).toEqual({
      type: "object",
      properties: { first: { $ref: "#/$defs/Name" }, last: { $ref: "#/$defs/Name" } },
      additionalProperties: false,
      $defs: { Name: S },
    });
  });
});

describe("translation details", () => {
  const grammar = (schema: unknown) => prepareJsonSchema(schema, { strict: true, param: P }).grammarSchema;

  it("folds keywords beside anyOf into each branch", () => {
    expect(grammar({ type: "string", anyOf: [{ minLength: 2 }, { const: "x" }] })).toEqual({ oneOf: [{ type: "string", minLength: 2 }, { const: "x" }] });
  });
  it("leaves out branches and optional properties that allow no value", () => {
    expect(grammar({ type: "string", anyOf: [{ type: "null" }, { maxLength: 3 }] })).toEqual({ type: "string", maxLength: 3 });
    expect(grammar({ type: "object", properties: { a: S, b: { allOf: [S, { type: "number" }] } }, required: ["a"] })).toEqual({
      type: "object",
      properties: { a: S },
      additionalProperties: false,
    });
  });
  it("merges a $ref with keywords beside it", () => {
    expect(grammar({ $defs: { Name: S }, $ref: "#/$defs/Name", maxLength: 9, description: "d" })).toEqual({ type: "string", maxLength: 9, description: "d" });
  });
  it("hoists references to places other than $defs", () => {
    expect(grammar({ type: "object", properties: { a: { type: "number" }, b: { $ref: "#/properties/a" } } })).toEqual({
      type: "object",
      properties: { a: { type: "number" }, b: { $ref: "#/$defs/properties_a" } },
      additionalProperties: false,
      $defs: { properties_a: { type: "number" } },
    });
  });
  it("keeps enum values of any JSON type exactly", () => {
    expect(grammar({ enum: ["a", 1, null, [], { k: true }] })).toEqual({
      oneOf: [{ enum: ["a", 1, null] }, { type: "array", maxItems: 0 }, { type: "object", properties: { k: { const: true } }, additionalProperties: false }],
    });
    expect(grammar({ type: "integer", enum: [1, 1.5, "1"] })).toEqual({ const: 1 });
    expect(grammar({ type: "string", enum: ["ab", "abcd"], maxLength: 3 })).toEqual({ const: "ab" });
  });
  it("proves oneOf branches apart by type and by values", () => {
    expect(grammar({ oneOf: [S, { type: "integer" }, { type: "object" }] })).toEqual({
      oneOf: [S, { type: "integer" }, { type: "object", additionalProperties: true }],
    });
    expect(grammar({ oneOf: [{ enum: ["a", "b"] }, { const: "c" }] })).toEqual({ oneOf: [{ enum: ["a", "b"] }, { const: "c" }] });
    expect(refusal({ oneOf: [{ type: "integer" }, { type: "number" }] }).param).toBe(`${P}.oneOf`);
  });
  it("drops a format beside a length limit (node-llama-cpp's format grammars ignore limits)", () => {
    expect(grammar({ type: "string", format: "date", maxLength: 10 })).toEqual({ type: "string", maxLength: 10 });
  });
  it("reads prefixItems only in 2020-12 and array-form items only before", () => {
    expect(grammar({ type: "array", prefixItems: [S] })).toEqual({ type: "array", prefixItems: [S] });
    expect(grammar({ $schema: "http://json-schema.org/draft-07/schema#", type: "array", prefixItems: [S] })).toEqual({ type: "array" });
  });
  it("keeps a property called __proto__", () => {
    const schema = JSON.parse('{"type": "object", "properties": {"__proto__": {"type": "number"}}, "required": ["__proto__", "x"], "$defs": {"__proto__": {"type": "string"}}}');
    schema.properties.s = { $ref: "#/$defs/__proto__" };
    const out = grammar(schema) as { properties: object; $defs: object };
    expect(Object.keys(out.properties)).toEqual(["__proto__", "s", "x"]);
    expect(Object.getOwnPropertyDescriptor(out.properties, "__proto__")?.value).toEqual({ type: "number" });
    expect(out.$defs).toEqual({ def: S });
  });
  it("ends a tuple before a position that allows no value", () => {
    expect(grammar({ type: "array", prefixItems: [S, false, S] })).toEqual({ type: "array", prefixItems: [S], maxItems: 1 });
  });
});

describe("schemas that are not usable", () => {
  for (const [what, schema] of [["a string", "object"], ["null", null], ["an array", [S]], ["a number", 1]] as const) {
    it(`refuses ${what} in both modes`, () => {
      for (const strict of [true, false]) {
        const error = refusal(schema, { strict, param: P });
        expect(error.code).toBe("invalid_parameter");
        expect(error.param).toBe(P);
      }
    });
  }
  it("refuses false and schemas that allow no value", () => {
    expect(refusal(false, { strict: false, param: P }).message).toMatch(/allows no value/);
    expect(refusal({ allOf: [S, { type: "number" }] }, { strict: false, param: P }).message).toMatch(/allows no value/);
    expect(refusal({ type: "object", properties: {}, required: ["a"], additionalProperties: false }).message).toMatch(/allows no value/);
  });
  it("accepts true as any JSON value", () => {
    expect(prepareJsonSchema(true, { strict: true, param: P }).grammarSchema).toEqual(ANY);
  });
  it("refuses a malformed schema with ajv's reason", () => {
    const error = refusal({ type: "object", properties: { a: { type: "strin" } } }, { strict: false, param: P });
    expect(error.param).toBe(P);
    expect(error.message).toMatch(/not a valid JSON Schema.*type/);
  });
  it("refuses a reference to another document in both modes", () => {
    expect(refusal({ $ref: "https://example.com/schema.json" }, { strict: false, param: P }).message).toMatch(/resolve/);
  });
});

describe("validate", () => {
  const schema = {
    type: "object",
    properties: { age: { type: "integer", minimum: 0 }, email: { type: "string", format: "email" } },
    required: ["age"],
    additionalProperties: false,
  };
  const prepared = prepareJsonSchema(schema, { strict: false, param: P });

  it("accepts valid values and does not check formats", () => {
    expect(prepared.validate({ age: 3, email: "not an email" })).toEqual({ ok: true });
  });
  it("names the path and the rule that failed", () => {
    expect(prepared.validate({ age: -1 })).toEqual({ ok: false, message: 'the value at /age must be >= 0 (keyword "minimum" at #/properties/age/minimum)' });
    expect(prepared.validate({})).toMatchObject({ ok: false, message: expect.stringMatching(/required property 'age'.*"required"/) });
    expect(prepared.validate({ age: 1, extra: 1 })).toMatchObject({ ok: false, message: expect.stringContaining("'extra'") });
    expect(prepared.validate("x")).toMatchObject({ ok: false, message: expect.stringMatching(/^the value must be object/) });
  });
  it("reads 2020-12, 2019-09 and draft-07 schemas by their $schema", () => {
    const tuple = { type: "array", prefixItems: [{ type: "number" }] };
    const v2020 = prepareJsonSchema({ $schema: "https://json-schema.org/draft/2020-12/schema", ...tuple }, { strict: true, param: P });
    expect(v2020.draft).toBe("2020-12");
    expect(v2020.validate(["x"]).ok).toBe(false);
    const v2019 = prepareJsonSchema({ $schema: "https://json-schema.org/draft/2019-09/schema", type: "array", items: [{ type: "number" }] }, { strict: true, param: P });
    expect(v2019.validate(["x"]).ok).toBe(false);
    const v07 = prepareJsonSchema({ $schema: "http://json-schema.org/draft-07/schema#", type: "array", items: [{ type: "number" }] }, { strict: true, param: P });
    expect(v07.validate(["x"]).ok).toBe(false);
    expect(v07.validate([1, "more"]).ok).toBe(true);
    expect(prepareJsonSchema({ $schema: "http://json-schema.org/draft-04/schema#", type: "string" }, { strict: true, param: P }).validate("s").ok).toBe(true);
  });
  it("guesses the dialect of a schema without $schema", () => {
    expect(detectDraft({ type: "array", prefixItems: [] })).toBe("2020-12");
    expect(detectDraft({ type: "array", items: [S] })).toBe("draft-07");
    expect(detectDraft({ type: "string" })).toBe("draft-07");
  });
  it("reuses the compiled validator for the same schema text, in a bounded cache", () => {
    const again = prepareJsonSchema(JSON.parse(JSON.stringify(schema)), { strict: false, param: "tools.3.function.parameters" });
    expect(again.validate).toBe(prepared.validate);
    for (let i = 0; i < VALIDATOR_CACHE_SIZE + 5; i++) prepareJsonSchema({ type: "string", maxLength: i }, { strict: true, param: P });
    expect(validatorCacheSize()).toBe(VALIDATOR_CACHE_SIZE);
  });
  it("allows two schemas with the same $id", () => {
    prepareJsonSchema({ $id: "https://example.com/a", type: "string" }, { strict: true, param: P });
    expect(prepareJsonSchema({ $id: "https://example.com/a", type: "number" }, { strict: true, param: P }).validate(1)).toEqual({ ok: true });
  });
});

describe("schemas real clients send", () => {
  for (const [name, schema] of Object.entries(REAL_CLIENT_SCHEMAS)) {
    it(`${name} prepares in both modes`, () => {
      for (const strict of [true, false]) {
        const prepared = prepareJsonSchema(schema.schema, { strict, param: P });
        expect(prepared.unenforced).toEqual(schema.unenforced);
        expect(JSON.stringify(prepared.grammarSchema)).not.toMatch(/"\$schema"|"title"|"format":"email"|"anyOf"|"default"/);
        for (const value of schema.valid) expect(prepared.validate(value)).toEqual({ ok: true });
        for (const value of schema.invalid) expect(prepared.validate(value).ok).toBe(false);
      }
    });
  }
  it("the zod-to-json-schema one becomes the grammar expected", () => {
    expect(prepareJsonSchema(REAL_CLIENT_SCHEMAS["zod-to-json-schema (Vercel AI SDK)"]!.schema, { strict: true, param: P }).grammarSchema).toEqual({
      type: "object",
      properties: {
        name: S,
        email: S,
        nickname: { type: ["string", "null"] },
        address: { oneOf: [{ type: "object", properties: { city: S }, additionalProperties: false }, { type: "null" }] },
        tags: { type: "array", items: S },
        role: { enum: ["admin", "user"] },
        birthday: { type: "string", format: "date" },
      },
      additionalProperties: false,
    });
  });
  it("json_object: any object", () => {
    const prepared = prepareJsonSchema(JSON_OBJECT_SCHEMA, { strict: true, param: "response_format" });
    expect(prepared.grammarSchema).toEqual({ type: "object", additionalProperties: true });
    expect(prepared.validate({ a: [1] })).toEqual({ ok: true });
    expect(prepared.validate([1]).ok).toBe(false);
  });
});

describe("limits the grammar and the walkers can take", () => {
  /** `{"type":"array","items":…}` nested `levels` deep, built from text as a client would send it. */
  const nested = (levels: number) => JSON.parse('{"type":"array","items":'.repeat(levels - 1) + '{"type":"string"}' + "}".repeat(levels - 1)) as unknown;

  it("refuses a schema nested deeper than MAX_JSON_DEPTH before any recursive walk, in both modes", () => {
    for (const levels of [MAX_JSON_DEPTH + 1, 2_000, 20_000]) {
      for (const strict of [true, false]) {
        const error = refusal(nested(levels), { strict, param: P });
        expect(error).toMatchObject({ status: 400, code: "invalid_parameter", param: P });
        expect(error.message).toContain(`more than ${MAX_JSON_DEPTH} levels deep`);
      }
    }
    expect(prepareJsonSchema(nested(MAX_JSON_DEPTH), { strict: true, param: P }).unenforced).toEqual([]);
  });

  it.each([...REPETITION_MINIMUMS])("refuses %s above what a grammar can repeat, naming its path", (keyword) => {
    for (const value of [MAX_GRAMMAR_REPETITIONS + 1, 1e9, 1e12]) {
      for (const strict of [true, false]) {
        const error = refusal({ type: "object", properties: { a: { [keyword]: value } } }, { strict, param: P });
        expect(error).toMatchObject({ status: 400, code: "invalid_parameter", param: `${P}.properties.a.${keyword}` });
      }
    }
    expect(() => prepareJsonSchema({ type: "object", properties: { a: { [keyword]: MAX_GRAMMAR_REPETITIONS } } }, { strict: true, param: P })).not.toThrow();
  });

  it.each([
    ["maxLength", "string"],
    ["maxItems", "array"],
    ["maxProperties", "object"],
  ])("holds %s above the cap to the cap in the grammar, and checks the answer against the bound as sent", (keyword, type) => {
    for (const value of [MAX_GRAMMAR_REPETITIONS + 1, 1e9, 1e12]) {
      const prepared = prepareJsonSchema({ type: "object", properties: { a: { type, [keyword]: value } }, required: ["a"] }, { strict: true, param: P });
      expect((prepared.grammarSchema as { properties: { a: Record<string, unknown> } }).properties.a[keyword]).toBe(MAX_GRAMMAR_REPETITIONS);
      expect(prepared.unenforced).toEqual([]);
    }
    const long = prepareJsonSchema({ type: "object", properties: { a: { type: "string", maxLength: 1000 } }, required: ["a"] }, { strict: true, param: P });
    expect(long.validate({ a: "x".repeat(1000) }).ok).toBe(true);
    expect(long.validate({ a: "x".repeat(1001) }).ok).toBe(false);
  });
});
