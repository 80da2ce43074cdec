import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { MESSAGE_KEYWORD } from "../http/validate-body.js";
import { chatCompletionRequestSchema, textCompletionRequestSchema } from "./schemas.js";

/** Every schema object nested in `schema`, itself included. */
function subschemas(schema: unknown): Record<string, unknown>[] {
  if (typeof schema !== "object" || schema === null) return [];
  const values = Array.isArray(schema) ? schema : Object.values(schema);
  const nested = values.flatMap(subschemas);
  return Array.isArray(schema) ? nested : [schema as Record<string, unknown>, ...nested];
}

describe.each([
  ["chat", chatCompletionRequestSchema],
  ["text completion", textCompletionRequestSchema],
])("the %s request schema", (_name, schema) => {
  it("compiles", () => {
    expect(() => new Ajv({ strict: false }).compile(schema)).not.toThrow();
  });

  it("only overrides messages of keywords the same schema object uses", () => {
    for (const sub of subschemas(schema)) {
      const overrides = sub[MESSAGE_KEYWORD] as Record<string, string> | undefined;
      for (const keyword of Object.keys(overrides ?? {})) expect(sub).toHaveProperty(keyword);
    }
  });
});
