/**
 * `tools`, `tool_choice`, `parallel_tool_calls` and `response_format`: validated, their JSON
 * Schemas prepared under the keyword policy (`json-schema/`), converted for the engine, and the
 * check every answer passes before it is returned, so a client never gets JSON that does not
 * parse or arguments that break their schema.
 */
import type { GenerationResult, ResponseFormat, ToolChoice, ToolSpec } from "../engine/types.js";
import { ShimmyError } from "../errors.js";
import { JSON_OBJECT_SCHEMA, prepareJsonSchema, type PreparedSchema } from "./json-schema/prepare-schema.js";
import { MESSAGE_KEYWORD, checkBody, compileBodySchema } from "../http/validate-body.js";
import type { ChatCompletionRequest } from "./types.js";

const NAME = {
  type: "string",
  pattern: "^[a-zA-Z0-9_-]{1,64}$",
  [MESSAGE_KEYWORD]: { pattern: "{path} must be 1 to 64 letters, digits, underscores or dashes" },
};
const shapes = {
  tools: {
    type: "array",
    maxItems: 128,
    items: {
      type: "object",
      required: ["type", "function"],
      properties: {
        type: { const: "function" },
        function: {
          type: "object",
          required: ["name"],
          properties: { name: NAME, description: { type: "string" }, parameters: { type: ["object", "boolean"] }, strict: { type: ["boolean", "null"] } },
        },
      },
    },
  },
  tool_choice: {
    anyOf: [
      { enum: ["none", "auto", "required", "any"] },
      {
        type: "object",
        required: ["type", "function"],
        properties: { type: { const: "function" }, function: { type: "object", required: ["name"], properties: { name: { type: "string" } } } },
      },
    ],
  },
  parallel_tool_calls: { type: "boolean" },
  response_format: {
    type: "object",
    required: ["type"],
    properties: {
      type: { enum: ["text", "json_object", "json_schema"] },
      json_schema: {
        type: "object",
        required: ["name"],
        properties: { name: NAME, description: { type: "string" }, schema: { type: ["object", "boolean"] }, strict: { type: ["boolean", "null"] } },
      },
    },
  },
} as const;

/** The structured-output fields' shapes, checked like the rest of the body (same params and messages). */
const validateShapes = compileBodySchema({ type: "object", properties: shapes });

/** What a chat request asks beyond text, converted for the engine, with the check its answer must pass. */
export interface StructuredRequest {
  tools?: ToolSpec[];
  toolChoice?: ToolChoice;
  parallelToolCalls?: boolean;
  responseFormat?: ResponseFormat;
  /** Throws `output_invalid` when a complete answer is not what was asked for. */
  checkResult(result: GenerationResult): void;
}

interface RequestTool {
  type: "function";
  function: { name: string; description?: string; parameters?: object | boolean; strict?: boolean | null };
}

/** Validates and converts the structured-output fields of a chat request. */
export function parseStructured(request: ChatCompletionRequest): StructuredRequest {
  const present = (value: unknown) => value !== undefined && value !== null;
  // Clients send null for "absent": only the fields with a value are checked.
  const given = Object.keys(shapes).flatMap((field) => {
    const value = request[field as keyof typeof shapes];
    return present(value) ? [[field, value]] : [];
  });
  checkBody(validateShapes, Object.fromEntries(given));

  const requestTools = (present(request.tools) ? request.tools : []) as RequestTool[];
  const prepared = new Map<string, PreparedSchema>();
  const tools: ToolSpec[] = requestTools.map((tool, index) => {
    const { name, description, parameters, strict } = tool.function;
    if (prepared.has(name)) {
      throw new ShimmyError("invalid_parameter", `tools.${index}.function.name "${name}" is given twice`, { param: `tools.${index}.function.name` });
    }
    const schema = prepareJsonSchema(parameters ?? { type: "object", properties: {} }, { strict: strict === true, param: `tools.${index}.function.parameters` });
    prepared.set(name, schema);
    return { name, ...(description ? { description } : {}), parameters: schema.grammarSchema };
  });

  const toolChoice = toToolChoice(request.tool_choice, tools);
  let responseFormat: ResponseFormat | undefined;
  let formatSchema: PreparedSchema | undefined;
  let jsonObject = false;
  const format = request.response_format as { type: "text" | "json_object" | "json_schema"; json_schema?: { schema?: object | boolean; strict?: boolean | null } } | null | undefined;
  if (format && format.type !== "text") {
    if (tools.length > 0 && (toolChoice?.mode ?? "auto") === "auto") {
      throw new ShimmyError(
        "invalid_parameter",
        "response_format cannot be combined with tools the model may call freely (tool_choice auto): use tool_choice none or required",
        { param: "response_format" },
      );
    }
    if (format.type === "json_schema") {
      if (!format.json_schema) throw new ShimmyError("invalid_parameter", "Missing required parameter: response_format.json_schema", { param: "response_format.json_schema" });
      formatSchema = prepareJsonSchema(format.json_schema.schema ?? {}, { strict: format.json_schema.strict === true, param: "response_format.json_schema.schema" });
      responseFormat = { type: "json_schema", schema: formatSchema.grammarSchema };
    } else {
      // node-llama-cpp's own JSON grammar also allows arrays and scalars; OpenAI's json_object is an object.
      responseFormat = { type: "json_schema", schema: prepareJsonSchema(JSON_OBJECT_SCHEMA, { strict: true, param: "response_format" }).grammarSchema };
      jsonObject = true;
    }
  }

  return {
    ...(tools.length > 0 ? { tools } : {}),
    ...(toolChoice ? { toolChoice } : {}),
    ...(present(request.parallel_tool_calls) ? { parallelToolCalls: request.parallel_tool_calls as boolean } : {}),
    ...(responseFormat ? { responseFormat } : {}),
    checkResult: (result) => checkResult(result, { prepared, structuredText: responseFormat !== undefined, jsonObject, formatSchema }),
  };
}

function toToolChoice(choice: unknown, tools: readonly ToolSpec[]): ToolChoice | undefined {
  if (choice === undefined || choice === null) return undefined;
  if (choice === "none" || choice === "auto") return { mode: choice };
  if (tools.length === 0) {
    throw new ShimmyError("invalid_parameter", "tool_choice asks for a tool call but the request has no tools", { param: "tool_choice" });
  }
  // LangChain's "any" is OpenAI's "required".
  if (choice === "required" || choice === "any") return { mode: "required" };
  const name = (choice as { function: { name: string } }).function.name;
  if (!tools.some((tool) => tool.name === name)) {
    throw new ShimmyError("invalid_parameter", `tool_choice.function.name "${name}" is not one of the tools`, { param: "tool_choice.function.name" });
  }
  return { mode: "named", name };
}

interface CheckContext {
  prepared: ReadonlyMap<string, PreparedSchema>;
  /** Whether the answer's text must be JSON. */
  structuredText: boolean;
  jsonObject: boolean;
  formatSchema: PreparedSchema | undefined;
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ShimmyError("output_invalid", `The model's ${what} is not valid JSON; retry the request.`);
  }
}

function checkResult(result: GenerationResult, context: CheckContext): void {
  // An answer cut off by the token limit is returned as far as it got, with finish_reason
  // "length", as OpenAI answers: the request was valid, and clients handle the cut (the openai
  // SDK's parse helpers raise their own LengthFinishReasonError).
  if (result.finishReason === "length") return;
  for (const call of result.toolCalls ?? []) {
    const schema = context.prepared.get(call.name);
    if (!schema) throw new ShimmyError("output_invalid", `The model called "${call.name}", which is not one of the tools; retry the request.`);
    const verdict = schema.validate(parseJson(call.arguments, `arguments for ${call.name}`));
    if (!verdict.ok) throw new ShimmyError("output_invalid", `The model's arguments for ${call.name} break its parameters schema: ${verdict.message}`);
  }
  if (context.jsonObject && result.finishReason !== "tool_calls") {
    const value = parseJson(result.text, "answer");
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      throw new ShimmyError("output_invalid", "The model's answer is JSON but not an object; retry the request.");
    }
  }
  if (context.formatSchema && result.finishReason !== "tool_calls") {
    const verdict = context.formatSchema.validate(parseJson(result.text, "answer"));
    if (!verdict.ok) throw new ShimmyError("output_invalid", `The model's answer breaks response_format.json_schema.schema: ${verdict.message}`);
  }
}
