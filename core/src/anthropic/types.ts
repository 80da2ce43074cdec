/**
 * Anthropic's Messages API wire types, as far as Shimmy accepts and answers them
 * (`POST /v1/messages`, `POST /v1/messages/count_tokens`). Field names are Anthropic's on purpose;
 * `convert-request.ts` and `convert-response.ts` translate to and from the chat core's types.
 *
 * Request types describe a body that passed `validate.ts`. Unknown fields (`cache_control`,
 * `citations`, `service_tier`, …) are kept but ignored.
 */

/** A `text` content block. */
export interface TextBlock {
  type: "text";
  text: string;
}

/** A tool call the assistant made, as the client echoes it back. */
export interface ToolUseBlock {
  type: "tool_use";
  id: string;
  name: string;
  /** The arguments as a JSON object. */
  input: Record<string, unknown>;
}

/** The result of the assistant's tool call `tool_use_id`, sent in a user message. */
export interface ToolResultBlock {
  type: "tool_result";
  tool_use_id: string;
  /** Text, or text blocks (joined); absent is "". */
  content?: string | TextBlock[];
  /** The tool failed: the model is told so. */
  is_error?: boolean;
}

/** A block of a request message (images, documents and thinking blocks are refused). */
export type RequestContentBlock = TextBlock | ToolUseBlock | ToolResultBlock;

/** One message of a request: `user` or `assistant`, with text or blocks. */
export interface MessageParam {
  role: "user" | "assistant";
  content: string | RequestContentBlock[];
}

/** A client tool, as Anthropic declares one: a JSON Schema for its input. */
export interface ToolParam {
  /** Absent or `custom`; Anthropic's server tools (`web_search_…`, `bash_…`) are refused. */
  type?: "custom";
  name: string;
  description?: string;
  input_schema: Record<string, unknown>;
}

/** How the model may use the tools. */
export type ToolChoiceParam =
  | { type: "auto"; disable_parallel_tool_use?: boolean }
  | { type: "any"; disable_parallel_tool_use?: boolean }
  | { type: "tool"; name: string; disable_parallel_tool_use?: boolean }
  | { type: "none" };

/** The fields `POST /v1/messages` and `POST /v1/messages/count_tokens` share. */
export interface PromptFields {
  model: string;
  messages: MessageParam[];
  /** Text or text blocks (joined), before the messages. */
  system?: string | TextBlock[];
  tools?: ToolParam[];
  tool_choice?: ToolChoiceParam;
  /** Only absent or `{type: "disabled"}`: Shimmy's models do not think in Anthropic's format. */
  thinking?: { type: "disabled" };
  /** Shimmy's: the installed plugins whose tools the server runs for this request (`core/src/tools/`). */
  plugins?: string[] | "all" | null;
  /** Shimmy's: rounds of server-side plugin calls before a final answer. @default 5 */
  max_tool_rounds?: number | null;
  /** Shimmy's: the tool choice of rounds after the first. @default "auto" */
  plugin_tool_choice?: "auto" | "required" | null;
}

/** A validated `POST /v1/messages` body. */
export interface MessageCreateRequest extends PromptFields {
  max_tokens: number;
  stop_sequences?: string[];
  temperature?: number;
  top_p?: number;
  top_k?: number;
  stream?: boolean;
  /** Kept for the client's own bookkeeping; Shimmy does not act on it. */
  metadata?: { user_id?: string | null };
}

/** A validated `POST /v1/messages/count_tokens` body. */
export type CountTokensRequest = PromptFields;

/** Why an answer ended, in Anthropic's words. */
export type StopReason = "end_turn" | "max_tokens" | "stop_sequence" | "tool_use";

/** A block of an answer. */
export type ResponseContentBlock = TextBlock | ToolUseBlock;

/** Token counts of an answer. */
export interface MessageUsage {
  input_tokens: number;
  output_tokens: number;
}

/** A non-streamed answer (`type: "message"`). */
export interface MessageResponse {
  id: string;
  type: "message";
  role: "assistant";
  model: string;
  content: ResponseContentBlock[];
  stop_reason: StopReason;
  /** The stop sequence that ended the answer, when `stop_reason` is `stop_sequence`. */
  stop_sequence: string | null;
  usage: MessageUsage;
}

/** Anthropic's error types, one per kind of failure. */
export type AnthropicErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "permission_error"
  | "not_found_error"
  | "request_too_large"
  | "rate_limit_error"
  | "overloaded_error"
  | "api_error";

/** The body of every error under `/v1/messages`, and the data of a stream's `error` event. */
export interface AnthropicErrorBody {
  type: "error";
  error: { type: AnthropicErrorType; message: string };
}
