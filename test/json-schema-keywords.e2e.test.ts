/**
 * The JSON Schema keyword table, entry by entry, through the real server: each row's example
 * schema is sent as `response_format.json_schema.schema` and as a tool's parameters, strict and
 * not. Unenforceable keywords are refused under strict with a 400 naming the keyword's path; every
 * other complete answer is JSON that satisfies the schema as sent (checked here with ajv), or an
 * error that says why (`output_invalid`), never bad JSON handed on. An answer cut off by max_tokens
 * is a 200 with finish_reason "length", as OpenAI answers it.
 */
import { Ajv, type ValidateFunction } from "ajv";
import { Ajv2020 } from "ajv/dist/2020.js";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { KEYWORD_CASES } from "../core/src/openai/json-schema/keyword-cases.fixture.js";
import { KEYWORD_RULES } from "../core/src/openai/json-schema/keywords.js";
import { rawPost, startShimmy, type ShimmyProcess } from "./helpers/shimmy-process.js";

const MODEL = "chat-llama";
let shimmy: ShimmyProcess;

beforeAll(async () => {
  shimmy = await startShimmy({ args: ["--model", inject("fixtureModels").chat] });
});
afterAll(() => shimmy?.stop());

/** An independent check of an answer against the schema as sent; null where ajv cannot compile it. */
function independentValidator(schema: unknown): ValidateFunction | null {
  const { $schema, ...rest } = schema as Record<string, unknown>;
  const ajv = typeof $schema === "string" && !$schema.includes("draft-07") ? new Ajv2020({ strict: false, validateFormats: false }) : new Ajv({ strict: false, validateFormats: false });
  try {
    return ajv.compile(rest);
  } catch {
    return null;
  }
}

type Outcome = { kind: "refused"; param: string } | { kind: "answer"; value: unknown } | { kind: "cut" } | { kind: "error"; code: string };

async function send(body: object): Promise<Outcome> {
  const response = await rawPost(`${shimmy.baseURL}/chat/completions`, JSON.stringify({ model: MODEL, max_tokens: 120, seed: 1, messages: [{ role: "user", content: "go" }], ...body }));
  const json = response.json as {
    error?: { code: string; param: string | null };
    choices?: { finish_reason: string; message: { content: string | null; tool_calls?: { function: { arguments: string } }[] } }[];
  };
  if (response.status === 400 && json.error?.code === "invalid_parameter") return { kind: "refused", param: json.error.param ?? "" };
  if (json.error) return { kind: "error", code: json.error.code };
  expect(response.status).toBe(200);
  const { message, finish_reason } = json.choices![0]!;
  if (finish_reason === "length") return { kind: "cut" };
  const text = message.tool_calls ? message.tool_calls[0]!.function.arguments : message.content!;
  return { kind: "answer", value: JSON.parse(text) as unknown };
}

describe.each([
  { where: "response_format", root: "response_format.json_schema.schema" },
  { where: "tool parameters", root: "tools.0.function.parameters.properties.v" },
])("every keyword row in $where", ({ where, root }) => {
  for (const rule of KEYWORD_RULES) {
    const example = KEYWORD_CASES[rule.id];
    it(`${rule.id} (${rule.class})`, async () => {
      // Tool parameters are an object: the row's schema is the type of its one property, with its
      // root-level $schema, $defs and definitions kept at the root, where its $refs point.
      const wrap = (schema: unknown) => {
        if (typeof schema !== "object" || schema === null) return { type: "object", properties: { v: schema }, required: ["v"], additionalProperties: false };
        const { $schema, $defs, definitions, ...inner } = schema as Record<string, unknown>;
        const rewritten = JSON.parse(JSON.stringify(inner).replaceAll('"#"', '"#/properties/v"').replaceAll('"#/properties/', '"#/properties/v/properties/')) as unknown;
        return {
          ...($schema === undefined ? {} : { $schema }),
          ...($defs === undefined ? {} : { $defs }),
          ...(definitions === undefined ? {} : { definitions }),
          type: "object", properties: { v: rewritten }, required: ["v"], additionalProperties: false,
        };
      };
      const body = (strict: boolean) =>
        where === "response_format"
          ? { response_format: { type: "json_schema", json_schema: { name: "row", schema: example.schema, strict } } }
          : { tools: [{ type: "function", function: { name: "row", parameters: wrap(example.schema), strict } }], tool_choice: "required", parallel_tool_calls: false };
      const sentSchema = where === "response_format" ? example.schema : wrap(example.schema);

      for (const strict of [true, false]) {
        const outcome = await send(body(strict));
        if ("endless" in example && example.endless && !strict) {
          // A schema that only refers to itself cannot be checked: refused when that shows at once,
          // else every answer fails its check with output_invalid; never a crash.
          if (where === "response_format") expect(outcome).toEqual({ kind: "refused", param: root });
          else expect(outcome).toEqual({ kind: "error", code: "output_invalid" });
          continue;
        }
        if (rule.class === "unenforceable" && strict) {
          // Definitions stay at the root of the parameters, so their paths do too.
          const at = "at" in example ? example.at : "";
          const base = where !== "response_format" && /^(\$defs|definitions)\./.test(at) ? "tools.0.function.parameters" : root;
          expect(outcome).toEqual({ kind: "refused", param: at ? `${base}.${at}` : base });
          continue;
        }
        if (outcome.kind === "error") {
          expect(outcome.code).toBe("output_invalid");
          continue;
        }
        if (outcome.kind === "cut") continue;
        expect(outcome.kind, JSON.stringify(outcome)).toBe("answer");
        const validate = independentValidator(sentSchema);
        if (validate && outcome.kind === "answer") expect(validate(outcome.value), JSON.stringify([outcome.value, validate.errors])).toBe(true);
      }
    });
  }
});
