/**
 * JSON Schemas (draft-07) of the two request bodies Shimmy validates.
 *
 * Unknown keys are allowed everywhere: clients send fields we don't act on (`metadata`, `store`,
 * `parallel_tool_calls`, `refusal`, …) and refusing them breaks those clients.
 *
 * Validation stops at the first error, so the order of keywords matters: `allOf` entries run in
 * order, which is how a message's role is checked before the rules that depend on it.
 */

import type { SchemaObject } from "ajv";
import { MESSAGE_KEYWORD, PARAM_KEYWORD } from "../http/validate-body.js";

/** The roles a chat message may have. */
export const CHAT_ROLES = ["system", "developer", "user", "assistant", "tool"] as const;

/** The most stop sequences one request may send. */
export const MAX_STOP_SEQUENCES = 16;

const nullableNumber = (minimum: number, maximum: number): SchemaObject => ({
  type: ["number", "null"],
  minimum,
  maximum,
});

// Only "text" is listed so that any other part type fails on `enum` with a message that names it.
const textPart: SchemaObject = {
  type: "object",
  allOf: [
    {
      required: ["type"],
      properties: {
        type: {
          type: "string",
          enum: ["text"],
          [MESSAGE_KEYWORD]: {
            enum: "{path} is {value}, but this model takes text only: send content parts of type \"text\"",
          },
        },
      },
    },
    { required: ["text"], properties: { text: { type: "string" } } },
  ],
};

const content: SchemaObject = {
  type: ["string", "array"],
  items: textPart,
  [MESSAGE_KEYWORD]: { type: "{path} must be a string or an array of text parts" },
};

const toolCall: SchemaObject = {
  type: "object",
  required: ["id", "type", "function"],
  properties: {
    id: { type: "string" },
    type: { const: "function" },
    function: {
      type: "object",
      required: ["name", "arguments"],
      properties: {
        name: { type: "string" },
        arguments: {
          type: "string",
          [MESSAGE_KEYWORD]: { type: "{path} must be a string of JSON text" },
        },
      },
    },
  },
};

const message: SchemaObject = {
  type: "object",
  allOf: [
    {
      required: ["role"],
      properties: {
        role: { type: "string", enum: [...CHAT_ROLES] },
        name: { type: ["string", "null"] },
      },
    },
    {
      // An assistant turn that only called tools has no text; every other turn must have content.
      if: { properties: { role: { const: "assistant" } } },
      then: {
        properties: {
          content: {
            ...content,
            type: ["string", "array", "null"],
            [MESSAGE_KEYWORD]: { type: "{path} must be a string, an array of text parts or null" },
          },
          tool_calls: { type: ["array", "null"], items: toolCall },
        },
      },
      else: { required: ["content"], properties: { content } },
    },
    {
      if: { properties: { role: { const: "tool" } } },
      then: { required: ["tool_call_id"], properties: { tool_call_id: { type: "string" } } },
    },
  ],
};

// Parameters shared by both endpoints. Every optional one accepts null as "absent".
const samplingProperties: Record<string, SchemaObject> = {
  model: {
    type: "string",
    minLength: 1,
    [MESSAGE_KEYWORD]: { minLength: "model must not be empty: send a model id from GET /v1/models" },
  },
  max_tokens: { type: ["integer", "null"], minimum: 1 },
  max_completion_tokens: { type: ["integer", "null"], minimum: 1 },
  temperature: nullableNumber(0, 2),
  top_p: nullableNumber(0, 1),
  top_k: { type: ["integer", "null"], minimum: 0 },
  min_p: nullableNumber(0, 1),
  seed: {
    type: ["integer", "null"],
    minimum: Number.MIN_SAFE_INTEGER,
    maximum: Number.MAX_SAFE_INTEGER,
  },
  stop: {
    // `minLength` only applies to a string and `maxItems`/`items` only to an array.
    type: ["string", "array", "null"],
    minLength: 1,
    maxItems: MAX_STOP_SEQUENCES,
    items: { type: "string", minLength: 1 },
    [MESSAGE_KEYWORD]: {
      type: "stop must be a string, an array of strings or null",
      maxItems: `stop may hold at most ${MAX_STOP_SEQUENCES} sequences`,
    },
  },
  presence_penalty: nullableNumber(-2, 2),
  frequency_penalty: nullableNumber(-2, 2),
  logit_bias: {
    type: ["object", "null"],
    propertyNames: {
      pattern: "^[0-9]{1,10}$",
      [MESSAGE_KEYWORD]: {
        pattern: "logit_bias keys must be token ids written as decimal integers, not {value}",
      },
    },
    additionalProperties: { type: "number", minimum: -100, maximum: 100 },
  },
  n: {
    enum: [1, null],
    [MESSAGE_KEYWORD]: { enum: "Only n=1 is supported: Shimmy generates one choice per request" },
  },
  stream: { type: ["boolean", "null"] },
  stream_options: {
    type: ["object", "null"],
    properties: { include_usage: { type: ["boolean", "null"] } },
  },
  user: { type: ["string", "null"] },
};

/** The most rounds of server-side plugin calls one request may ask for. */
export const MAX_TOOL_ROUNDS_LIMIT = 32;

/** Shimmy's own fields of the server-side tool loop (core/src/tools/), on chat completions and responses. */
export const toolLoopProperties: Record<string, SchemaObject> = {
  plugins: {
    // `pattern` applies to the string form only, `items` to the array form only.
    type: ["array", "string", "null"],
    pattern: "^all$",
    maxItems: 64,
    items: { type: "string", minLength: 1 },
    [MESSAGE_KEYWORD]: {
      type: 'plugins must be "all" or an array of installed plugin names',
      pattern: 'plugins must be "all" or an array of installed plugin names, not {value}',
    },
  },
  max_tool_rounds: { type: ["integer", "null"], minimum: 1, maximum: MAX_TOOL_ROUNDS_LIMIT },
  plugin_tool_choice: {
    enum: ["auto", "required", null],
    [MESSAGE_KEYWORD]: { enum: 'plugin_tool_choice must be "auto" or "required"' },
  },
};

/** Schema of a `POST /v1/chat/completions` body. */
export const chatCompletionRequestSchema: SchemaObject = {
  type: "object",
  required: ["model", "messages"],
  properties: {
    ...samplingProperties,
    ...toolLoopProperties,
    messages: {
      type: "array",
      minItems: 1,
      items: message,
      [MESSAGE_KEYWORD]: { minItems: "messages must hold at least one message" },
    },
    logprobs: {
      enum: [false, null],
      [MESSAGE_KEYWORD]: { enum: "logprobs is not supported: omit it or send false" },
    },
    top_logprobs: {
      enum: [0, null],
      [MESSAGE_KEYWORD]: { enum: "top_logprobs is not supported: omit it" },
    },
  },
};

/** Schema of a `POST /v1/completions` (legacy) body. */
export const textCompletionRequestSchema: SchemaObject = {
  type: "object",
  required: ["model", "prompt"],
  properties: {
    ...samplingProperties,
    prompt: {
      type: ["string", "array"],
      [MESSAGE_KEYWORD]: { type: "prompt must be a string or an array of one string" },
      // Items first, so an array of token ids is named as such rather than as "too many prompts".
      allOf: [
        {
          items: {
            type: "string",
            [PARAM_KEYWORD]: "prompt",
            [MESSAGE_KEYWORD]: {
              type: "prompt must be a string: prompts of token ids are not supported",
            },
          },
        },
        {
          minItems: 1,
          maxItems: 1,
          [MESSAGE_KEYWORD]: {
            minItems: "prompt must not be an empty array: send a string",
            maxItems:
              "prompt must be a single string: Shimmy serves one choice per request, so send one prompt",
          },
        },
      ],
    },
    echo: {
      enum: [false, null],
      [MESSAGE_KEYWORD]: { enum: "echo is not supported: omit it or send false" },
    },
    // A string asks for fill in the middle (engine/infill-prompt.ts): the answer goes between prompt and suffix.
    suffix: {
      type: ["string", "null"],
      [MESSAGE_KEYWORD]: { type: "suffix must be a string: the text after the gap to fill" },
    },
    logprobs: {
      enum: [0, null],
      [MESSAGE_KEYWORD]: { enum: "logprobs is not supported: omit it or send 0" },
    },
    best_of: {
      enum: [1, null],
      [MESSAGE_KEYWORD]: { enum: "Only best_of=1 is supported: Shimmy generates one choice per request" },
    },
  },
};
