/**
 * JSON Schemas (draft-07) of the Messages API bodies, checked by the one body checker
 * (`http/validate-body.ts`). Unknown keys are allowed everywhere: clients send fields Shimmy does
 * not act on (`cache_control`, `citations`, `service_tier`) and refusing them breaks those clients.
 *
 * What Shimmy cannot do is refused by name rather than dropped: `image` and `document` blocks fail
 * on their block type's `enum`, `thinking` on its own, each with a message saying what to send.
 */
import type { SchemaObject } from "ajv";
import { MESSAGE_KEYWORD } from "../http/validate-body.js";
import { MAX_STOP_SEQUENCES, toolLoopProperties } from "../openai/schemas.js";

/** The block types a message of each role may hold. */
export const BLOCK_TYPES = { user: ["text", "tool_result"], assistant: ["text", "tool_use"] } as const;

const NAME: SchemaObject = {
  type: "string",
  pattern: "^[a-zA-Z0-9_-]{1,64}$",
  [MESSAGE_KEYWORD]: { pattern: "{path} must be 1 to 64 letters, digits, underscores or dashes" },
};

/** `{type}` checked against `types`, with a message that names what was sent and why it is refused. */
const blockType = (types: readonly string[], where: string): SchemaObject => ({
  required: ["type"],
  properties: {
    type: {
      type: "string",
      enum: [...types],
      [MESSAGE_KEYWORD]: {
        enum: `{path} is {value}, but ${where} may hold ${types.join(" and ")} blocks only (this server's models read text: images, documents and thinking blocks are not supported)`,
      },
    },
  },
});

const textBlock: SchemaObject = { required: ["text"], properties: { text: { type: "string" } } };

/** A text-only block list (`system`, a `tool_result`'s content). */
const textBlocks = (where: string): SchemaObject => ({
  type: ["string", "array"],
  [MESSAGE_KEYWORD]: { type: "{path} must be a string or an array of text blocks" },
  items: { type: "object", allOf: [blockType(["text"], where), textBlock] },
});

const blockShapes: Record<string, SchemaObject> = {
  text: textBlock,
  tool_use: {
    required: ["id", "name", "input"],
    properties: {
      id: { type: "string", minLength: 1 },
      name: { type: "string" },
      input: { type: "object", [MESSAGE_KEYWORD]: { type: "{path} must be an object: the tool's arguments" } },
    },
  },
  tool_result: {
    required: ["tool_use_id"],
    properties: { tool_use_id: { type: "string", minLength: 1 }, content: textBlocks("a tool_result's content"), is_error: { type: "boolean" } },
  },
};

/** A block of a message of `role`: its type first, then the shape of that type. */
const block = (role: keyof typeof BLOCK_TYPES): SchemaObject => ({
  type: "object",
  allOf: [
    blockType(BLOCK_TYPES[role], `a ${role} message`),
    ...BLOCK_TYPES[role].map((type): SchemaObject => ({ if: { properties: { type: { const: type } } }, then: blockShapes[type]! })),
  ],
});

const message: SchemaObject = {
  type: "object",
  allOf: [
    {
      required: ["role", "content"],
      properties: {
        role: { type: "string", enum: ["user", "assistant"], [MESSAGE_KEYWORD]: { enum: '{path} must be "user" or "assistant" (the system prompt goes in the top-level system field)' } },
        content: { type: ["string", "array"], [MESSAGE_KEYWORD]: { type: "{path} must be a string or an array of content blocks" } },
      },
    },
    ...(["user", "assistant"] as const).map((role): SchemaObject => ({
      if: { properties: { role: { const: role } } },
      then: { properties: { content: { items: block(role) } } },
    })),
  ],
};

// The type first (allOf runs in order), so a server tool is named as one rather than as a tool without input_schema.
const tool: SchemaObject = {
  type: "object",
  allOf: [
    {
      properties: {
        type: {
          enum: ["custom", null],
          [MESSAGE_KEYWORD]: { enum: "{path} is {value}: Anthropic's server tools do not run here; declare client tools with name, description and input_schema" },
        },
      },
    },
    {
      required: ["name", "input_schema"],
      properties: { name: NAME, description: { type: "string" }, input_schema: { type: "object", [MESSAGE_KEYWORD]: { type: "{path} must be a JSON Schema object" } } },
    },
  ],
};

const toolChoice: SchemaObject = {
  type: "object",
  allOf: [
    {
      required: ["type"],
      properties: {
        type: { enum: ["auto", "any", "tool", "none"], [MESSAGE_KEYWORD]: { enum: 'tool_choice.type must be "auto", "any", "tool" or "none"' } },
        disable_parallel_tool_use: { type: "boolean" },
      },
    },
    { if: { properties: { type: { const: "tool" } } }, then: { required: ["name"], properties: { name: { type: "string" } } } },
  ],
};

const promptProperties: Record<string, SchemaObject> = {
  ...toolLoopProperties,
  model: { type: "string", minLength: 1, [MESSAGE_KEYWORD]: { minLength: "model must not be empty: send a model id from GET /v1/models" } },
  messages: { type: "array", minItems: 1, items: message, [MESSAGE_KEYWORD]: { minItems: "messages must hold at least one message" } },
  system: textBlocks("system"),
  tools: { type: "array", maxItems: 128, items: tool },
  tool_choice: toolChoice,
  thinking: {
    type: "object",
    required: ["type"],
    properties: {
      type: {
        enum: ["disabled"],
        [MESSAGE_KEYWORD]: { enum: 'thinking is not supported: this server\'s models do not think in Anthropic\'s format; omit thinking or send {"type": "disabled"}' },
      },
    },
  },
};

/** Schema of a `POST /v1/messages/count_tokens` body. */
export const countTokensRequestSchema: SchemaObject = {
  type: "object",
  required: ["model", "messages"],
  properties: promptProperties,
};

/** Schema of a `POST /v1/messages` body. */
export const messageCreateRequestSchema: SchemaObject = {
  type: "object",
  required: ["model", "max_tokens", "messages"],
  properties: {
    ...promptProperties,
    max_tokens: { type: "integer", minimum: 1 },
    stop_sequences: {
      type: "array",
      maxItems: MAX_STOP_SEQUENCES,
      items: { type: "string", minLength: 1 },
      [MESSAGE_KEYWORD]: { maxItems: `stop_sequences may hold at most ${MAX_STOP_SEQUENCES} sequences` },
    },
    temperature: { type: "number", minimum: 0, maximum: 1 },
    top_p: { type: "number", minimum: 0, maximum: 1 },
    top_k: { type: "integer", minimum: 0 },
    stream: { type: "boolean" },
    metadata: { type: "object", properties: { user_id: { type: ["string", "null"] } } },
  },
};
