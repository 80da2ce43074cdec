/**
 * Test data shared by this folder's tests: schemas in the shapes real clients send, each with
 * values that must pass and fail the check after generation. Not used by the server.
 */

/** A client's schema with what preparing it must give. */
export interface ClientSchema {
  schema: object;
  /** `unenforced` when prepared without `strict` (and with it, since these must prepare under both). */
  unenforced: [];
  /** Values the check must pass; the first lists every property, as node-llama-cpp generates them all. */
  valid: unknown[];
  invalid: unknown[];
}

/** Schemas as the Vercel AI SDK (zod-to-json-schema), zod 4, pydantic and OpenAI's docs write them. */
export const REAL_CLIENT_SCHEMAS: Record<string, ClientSchema> = {
  "zod-to-json-schema (Vercel AI SDK)": {
    schema: {
      $schema: "http://json-schema.org/draft-07/schema#",
      type: "object",
      properties: {
        name: { type: "string" },
        email: { type: "string", format: "email" },
        nickname: { type: ["string", "null"] },
        address: {
          anyOf: [{ type: "object", properties: { city: { type: "string" } }, required: ["city"], additionalProperties: false }, { type: "null" }],
        },
        tags: { type: "array", items: { type: "string" } },
        role: { type: "string", enum: ["admin", "user"] },
        birthday: { type: "string", format: "date" },
      },
      required: ["name", "email", "nickname", "address", "tags", "role"],
      additionalProperties: false,
    },
    unenforced: [],
    valid: [
      { name: "Ada", email: "ada@example.com", nickname: null, address: { city: "London" }, tags: ["x"], role: "admin", birthday: "1815-12-10" },
      { name: "Ada", email: "ada@example.com", nickname: "A", address: null, tags: [], role: "user" },
    ],
    invalid: [{ name: "Ada", email: "ada@example.com", nickname: null, address: {}, tags: [], role: "admin" }, { name: "Ada" }],
  },
  "zod 4 toJSONSchema (2020-12)": {
    schema: {
      $schema: "https://json-schema.org/draft/2020-12/schema",
      type: "object",
      properties: {
        city: { type: "string", description: "City name" },
        unit: { default: "celsius", type: "string", enum: ["celsius", "fahrenheit"] },
        days: { anyOf: [{ type: "array", prefixItems: [{ type: "string" }, { type: "string" }] }, { type: "null" }] },
      },
      required: ["city", "unit", "days"],
      additionalProperties: false,
    },
    unenforced: [],
    valid: [{ city: "Paris", unit: "celsius", days: ["mon", "tue"] }, { city: "Paris", unit: "celsius", days: null }],
    invalid: [{ city: "Paris", unit: "kelvin", days: null }, { city: "Paris", unit: "celsius", days: [1] }],
  },
  "pydantic model_json_schema": {
    schema: {
      $defs: {
        Step: {
          properties: { explanation: { title: "Explanation", type: "string" }, output: { title: "Output", type: "string" } },
          required: ["explanation", "output"],
          title: "Step",
          type: "object",
        },
      },
      properties: {
        steps: { items: { $ref: "#/$defs/Step" }, title: "Steps", type: "array" },
        final_answer: { title: "Final Answer", type: "string" },
        note: { anyOf: [{ type: "string" }, { type: "null" }], default: null, title: "Note" },
        kind: { allOf: [{ $ref: "#/$defs/Kind" }], description: "What it is" },
      },
      required: ["steps", "final_answer"],
      title: "MathReasoning",
      type: "object",
    },
    unenforced: [],
    valid: [{ steps: [{ explanation: "e", output: "o" }], final_answer: "42", note: null, kind: "proof" }, { steps: [], final_answer: "1" }],
    invalid: [{ steps: [{ explanation: "e" }], final_answer: "42" }, { steps: [], final_answer: "1", kind: "other" }],
  },
  "OpenAI structured outputs example": {
    schema: {
      type: "object",
      properties: {
        steps: {
          type: "array",
          items: { type: "object", properties: { explanation: { type: "string" }, output: { type: "string" } }, required: ["explanation", "output"], additionalProperties: false },
        },
        final_answer: { type: "string" },
      },
      required: ["steps", "final_answer"],
      additionalProperties: false,
    },
    unenforced: [],
    valid: [{ steps: [{ explanation: "x", output: "y" }], final_answer: "z" }],
    invalid: [{ steps: [{ explanation: "x", output: "y", more: 1 }], final_answer: "z" }],
  },
};

// pydantic puts an enum class in $defs; added here so the literal above stays readable.
(REAL_CLIENT_SCHEMAS["pydantic model_json_schema"]!.schema as { $defs: Record<string, unknown> }).$defs.Kind = {
  enum: ["proof", "guess"],
  title: "Kind",
  type: "string",
};
