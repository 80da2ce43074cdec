/**
 * OpenAI's wire types, as far as Shimmy accepts and answers them: chat completions, legacy text
 * completions, usage and the model list. Field names are OpenAI's (snake_case) on purpose; the
 * converters beside this file translate to the engine's own types.
 *
 * Request types describe a body that passed validation. Optional parameters may be `null`, because
 * clients send nulls for "unset" and validation treats null as absent.
 */

import type { FinishReason } from "../engine/types.js";

/** A text content part. Other part types (`image_url`, `input_audio`, `file`) are refused. */
export interface ChatContentTextPart {
  type: "text";
  text: string;
}

/** A message's content: plain text or text parts, which the model sees joined. */
export type ChatMessageContent = string | ChatContentTextPart[];

/** A tool call an assistant message carries, as the client echoes it back. */
export interface ChatMessageToolCall {
  id: string;
  type: "function";
  function: {
    name: string;
    /** JSON text as the model wrote it; never parsed here. */
    arguments: string;
  };
}

/** A `system` message. */
export interface ChatSystemMessage {
  role: "system";
  content: ChatMessageContent;
  name?: string | null;
}

/** A `developer` message: OpenAI's newer name for `system`, which is how Shimmy treats it. */
export interface ChatDeveloperMessage {
  role: "developer";
  content: ChatMessageContent;
  name?: string | null;
}

/** A `user` message. */
export interface ChatUserMessage {
  role: "user";
  content: ChatMessageContent;
  name?: string | null;
}

/** An `assistant` message; `content` may be null or absent when it only called tools. */
export interface ChatAssistantMessage {
  role: "assistant";
  content?: ChatMessageContent | null;
  name?: string | null;
  tool_calls?: ChatMessageToolCall[] | null;
}

/** A `tool` message: the result of the assistant's tool call `tool_call_id`. */
export interface ChatToolMessage {
  role: "tool";
  content: ChatMessageContent;
  tool_call_id: string;
}

/** Any message of a chat completion request. */
export type ChatCompletionMessage =
  | ChatSystemMessage
  | ChatDeveloperMessage
  | ChatUserMessage
  | ChatAssistantMessage
  | ChatToolMessage;

/** `stream_options` of a streaming request. */
export interface StreamOptions {
  /** Ask for a last chunk with `usage` and empty `choices`. */
  include_usage?: boolean | null;
}

/** Sampling, stopping and streaming parameters that both completion endpoints share. */
export interface SamplingRequestFields {
  model: string;
  max_tokens?: number | null;
  /** Wins over `max_tokens` when both are sent. */
  max_completion_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  top_k?: number | null;
  min_p?: number | null;
  seed?: number | null;
  stop?: string | string[] | null;
  presence_penalty?: number | null;
  frequency_penalty?: number | null;
  /** Token ids (as decimal strings) to a bias of -100..100. */
  logit_bias?: Record<string, number> | null;
  /** Only 1 is accepted. */
  n?: 1 | null;
  stream?: boolean | null;
  stream_options?: StreamOptions | null;
  user?: string | null;
}

/** A validated `POST /v1/chat/completions` body. Unknown fields are kept but ignored. */
export interface ChatCompletionRequest extends SamplingRequestFields {
  messages: ChatCompletionMessage[];
  /** Only false is accepted. */
  logprobs?: false | null;
  /** Only 0 is accepted. */
  top_logprobs?: 0 | null;
  /** Checked and converted by `parseStructured`. */
  tools?: unknown;
  /** Checked and converted by `parseStructured`. */
  tool_choice?: unknown;
  /** Checked and converted by `parseStructured`. */
  parallel_tool_calls?: unknown;
  /** Checked and converted by `parseStructured`. */
  response_format?: unknown;
  /** Shimmy's: the installed plugins whose tools the server runs for this request (`core/src/tools/`). */
  plugins?: string[] | "all" | null;
  /** Shimmy's: rounds of server-side plugin calls before a final answer with tools off. @default 5 */
  max_tool_rounds?: number | null;
  /** Shimmy's: the tool choice of rounds after the first. @default "auto" */
  plugin_tool_choice?: "auto" | "required" | null;
}

/**
 * A validated `POST /v1/completions` (legacy) body. Named apart from the engine's
 * `CompletionRequest` so route code can import both.
 */
export interface TextCompletionRequest extends SamplingRequestFields {
  /** One prompt: a string or an array holding exactly one string. */
  prompt: string | [string];
  /** Only false is accepted. */
  echo?: false | null;
  /** The text after the completion: a string makes it a fill-in-the-middle completion between `prompt` and it. */
  suffix?: string | null;
  /** Only 0 is accepted. */
  logprobs?: 0 | null;
  /** Only 1 is accepted. */
  best_of?: 1 | null;
}

/** Token counts of one request. */
export interface CompletionUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** The assistant message of a non-streaming chat answer. */
export interface ChatCompletionResponseMessage {
  role: "assistant";
  /** Null when the answer is only tool calls. */
  content: string | null;
  refusal: null;
  tool_calls?: ChatMessageToolCall[];
}

/** A piece of a streamed tool call: `id`, `type` and `name` come in its first piece. */
export interface ChatCompletionChunkToolCall {
  index: number;
  id?: string;
  type?: "function";
  function: { name?: string; arguments: string };
}

/** A non-streaming chat completion (`object: "chat.completion"`). */
export interface ChatCompletionResponse {
  id: string;
  object: "chat.completion";
  created: number;
  model: string;
  system_fingerprint?: string;
  choices: [
    {
      index: 0;
      message: ChatCompletionResponseMessage;
      logprobs: null;
      finish_reason: FinishReason;
    },
  ];
  usage: CompletionUsage;
}

/** The delta of one chat chunk: the role only in the first, nothing in the last. */
export interface ChatCompletionChunkDelta {
  role?: "assistant";
  content?: string | null;
  tool_calls?: ChatCompletionChunkToolCall[];
}

/** The one choice of a chat chunk. */
export interface ChatCompletionChunkChoice {
  index: 0;
  delta: ChatCompletionChunkDelta;
  logprobs: null;
  finish_reason: FinishReason | null;
}

/**
 * One streamed chat chunk (`object: "chat.completion.chunk"`). With `include_usage`, every chunk
 * carries `usage: null` except the last, whose `choices` is empty.
 */
export interface ChatCompletionChunk {
  id: string;
  object: "chat.completion.chunk";
  created: number;
  model: string;
  system_fingerprint?: string;
  choices: ChatCompletionChunkChoice[];
  usage?: CompletionUsage | null;
}

/** The one choice of a text completion or of one of its chunks. */
export interface TextCompletionChoice {
  text: string;
  index: 0;
  logprobs: null;
  finish_reason: FinishReason | null;
}

/** A non-streaming text completion (`object: "text_completion"`). */
export interface TextCompletionResponse {
  id: string;
  object: "text_completion";
  created: number;
  model: string;
  system_fingerprint?: string;
  choices: [TextCompletionChoice & { finish_reason: FinishReason }];
  usage: CompletionUsage;
}

/** One streamed text completion chunk; OpenAI reuses `object: "text_completion"` for chunks. */
export interface TextCompletionChunk {
  id: string;
  object: "text_completion";
  created: number;
  model: string;
  system_fingerprint?: string;
  choices: TextCompletionChoice[];
  usage?: CompletionUsage | null;
}

/** One entry of `GET /v1/models`. */
export interface ModelObject {
  id: string;
  object: "model";
  /** Seconds since the epoch. */
  created: number;
  owned_by: string;
}

/** The body of `GET /v1/models`. */
export interface ModelList {
  object: "list";
  data: ModelObject[];
}
