/**
 * Compiles the JSON Schemas plugins bring (tool inputs and outputs, config) with ajv, each in the
 * dialect its `$schema` names; draft-07 otherwise, as MCP's tool schemas are.
 */
import { Ajv, type Options, type ValidateFunction } from "ajv";
import { Ajv2019 } from "ajv/dist/2019.js";
import { Ajv2020 } from "ajv/dist/2020.js";

const AJV_OPTIONS: Options = { strict: false, allErrors: false, validateFormats: false };

/** Compiles `schema` once, in the dialect its `$schema` names. */
export function compileJsonSchema(schema: Record<string, unknown>): ValidateFunction {
  const declared = typeof schema.$schema === "string" ? schema.$schema : "";
  const ajv = declared.includes("2020-12") ? new Ajv2020(AJV_OPTIONS) : declared.includes("2019-09") ? new Ajv2019(AJV_OPTIONS) : new Ajv(AJV_OPTIONS);
  const { $schema: _ignored, ...bare } = schema;
  return ajv.compile(bare);
}

/** The last validation's errors, one `path message` each, joined. */
export function schemaErrorText(validate: ValidateFunction): string {
  return (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? "is invalid"}`).join("; ");
}
