/**
 * Hands prepared grammar schemas to node-llama-cpp's real `createGrammarForJsonSchema` (and
 * llama.cpp's grammar parser) in a child process, and checks sample answers against the grammar:
 * the translation must make node-llama-cpp generate what the schema means. llama.cpp is never
 * loaded in the vitest process: its native code can abort the whole process.
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { JSON_OBJECT_SCHEMA, prepareJsonSchema } from "./prepare-schema.js";
import { REAL_CLIENT_SCHEMAS } from "./test-schemas.fixture.js";

const SCRIPT = path.join(import.meta.dirname, "grammar-check.mjs");
const P = "response_format.json_schema.schema";

interface GrammarCase {
  name: string;
  schema: unknown;
  strict: boolean;
  accept: unknown[];
  reject: unknown[];
}

const S = { type: "string" };
const CASES: GrammarCase[] = [
  { name: "any value ({})", schema: {}, strict: true, accept: [1, "s", null, true, [1, { a: [] }], { k: { v: 1 } }], reject: [] },
  { name: "any object", schema: JSON_OBJECT_SCHEMA, strict: true, accept: [{}, { a: 1, b: [null] }], reject: [[], "x", 1] },
  { name: "object or null", schema: { type: ["object", "null"], properties: { a: S } }, strict: true, accept: [null, { a: "x" }], reject: [1, {}, { a: 1 }] },
  { name: "several types", schema: { type: ["string", "integer", "array"], items: { type: "boolean" } }, strict: true, accept: ["s", 3, [true]], reject: [1.5, [1], null] },
  {
    name: "required not listed, optional listed",
    schema: { type: "object", properties: { a: S }, required: ["b"] },
    strict: true,
    accept: [{ a: "x", b: [1] }],
    reject: [{ a: "x" }, { b: 1 }, { a: "x", b: 1, c: 1 }],
  },
  {
    name: "maxProperties below the listed ones",
    schema: { type: "object", properties: { a: S, b: S, c: S }, required: ["c"], maxProperties: 2 },
    strict: true,
    accept: [{ a: "x", c: "z" }],
    reject: [{ a: "x", b: "y", c: "z" }],
  },
  { name: "minProperties with extras", schema: { type: "object", properties: { a: S }, minProperties: 2 }, strict: true, accept: [{ a: "x", z: 1 }], reject: [{ a: "x" }] },
  { name: "literals", schema: { enum: ["a", 2, null, [], { k: [true] }, 'say "hi"'] }, strict: true, accept: ["a", 2, null, [], { k: [true] }, 'say "hi"'], reject: ["b", { k: [false] }, [1]] },
  { name: "draft-07 tuple", schema: { type: "array", items: [S, { type: "number" }], additionalItems: false }, strict: true, accept: [["a", 1]], reject: [["a", 1, 2], [1, "a"]] },
  { name: "tuple cut by maxItems", schema: { type: "array", prefixItems: [S, S, S], maxItems: 2 }, strict: true, accept: [["a", "b"]], reject: [["a", "b", "c"]] },
  {
    name: "a property called __proto__",
    schema: JSON.parse('{"type": "object", "properties": {"__proto__": {"type": "number"}}}'),
    strict: true,
    accept: [JSON.parse('{"__proto__": 1}')],
    reject: [{}],
  },
  { name: "date-time", schema: { type: "string", format: "date-time" }, strict: true, accept: ["2024-05-06T07:08:09Z"], reject: ["yesterday"] },
  { name: "email is a free string", schema: { type: "string", format: "email" }, strict: true, accept: ["ada@example.com", "anything"], reject: [1] },
  {
    name: "discriminated oneOf",
    schema: { oneOf: [{ type: "object", properties: { kind: { const: "a" }, n: { type: "number" } } }, { type: "object", properties: { kind: { const: "b" } } }] },
    strict: true,
    accept: [{ kind: "a", n: 1 }, { kind: "b" }],
    reject: [{ kind: "c" }, { kind: "b", n: 1 }],
  },
  {
    name: "overlapping oneOf (not strict)",
    schema: { oneOf: [S, { type: "string", maxLength: 3 }] },
    strict: false,
    accept: ["ab", "abcdef"],
    reject: [1],
  },
  {
    name: "recursion freed (not strict)",
    schema: { $defs: { node: { type: "object", properties: { kids: { type: "array", items: { $ref: "#/$defs/node" } } } } }, $ref: "#/$defs/node" },
    strict: false,
    accept: [{ kids: [] }, { kids: [{ kids: [] }, 1] }],
    reject: [{}, []],
  },
  {
    name: "references kept as $defs",
    schema: { $defs: { Name: S, Pair: { type: "array", items: { $ref: "#/$defs/Name" }, minItems: 2, maxItems: 2 } }, $ref: "#/$defs/Pair" },
    strict: true,
    accept: [["a", "b"]],
    reject: [["a"], ["a", 1]],
  },
  ...Object.entries(REAL_CLIENT_SCHEMAS).map(([name, client]) => ({ name, schema: client.schema, strict: true, accept: client.valid.slice(0, 1), reject: [] })),
];

describe("node-llama-cpp accepts the prepared grammar schemas", () => {
  const prepared = CASES.map((example) => ({ example, prepared: prepareJsonSchema(example.schema, { strict: example.strict, param: P }) }));

  it("strict samples the grammar accepts are valid, so the grammar is never wider than the schema", () => {
    for (const { example, prepared: schema } of prepared) {
      if (example.strict) for (const value of example.accept) expect(schema.validate(value), `${example.name}: ${JSON.stringify(value)}`).toEqual({ ok: true });
    }
  });

  it("createGrammarForJsonSchema takes each one, and the grammar accepts and rejects the samples", () => {
    const input = prepared.map(({ example, prepared: schema }) => ({
      name: example.name,
      schema: schema.grammarSchema,
      accept: example.accept.map((value) => JSON.stringify(value)),
      reject: example.reject.map((value) => JSON.stringify(value)),
    }));
    const child = spawnSync(process.execPath, [SCRIPT], { input: JSON.stringify(input), encoding: "utf8", timeout: 120_000 });
    expect(child.status, child.stderr).toBe(0);
    const results = JSON.parse(child.stdout.trim().split("\n").pop()!) as { name: string; ok: boolean; tested?: boolean; error?: string; wrong?: string[] }[];
    expect(results.map((result) => result.name)).toEqual(CASES.map((example) => example.name));
    for (const result of results) {
      expect(result, result.error).toMatchObject({ ok: true, wrong: [] });
    }
    // The samples are only meaningful if node-llama-cpp still exposes its text test.
    expect(results.every((result) => result.tested)).toBe(true);
  });
});
