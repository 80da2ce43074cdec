/**
 * Wire types of OpenAI's Responses API as Shimmy serves it: the request body after validation,
 * the items of `input` and `output`, and the response object.
 */

/** A content part of an input message. */
export type InputPart = { type: "input_text"; text: string } | { type: "output_text"; text: string; annotations?: unknown[] } | { type: "refusal"; refusal: string };

/** A message in `input` (its `type` may be left out, as clients do) or in `output`. */
export interface MessageItem {
  type?: "message";
  id?: string;
  role: "user" | "assistant" | "system" | "developer";
  content: string | InputPart[];
  status?: string;
}

/** A call the model made, replayed by the client or returned in `output`. */
export interface FunctionCallItem {
  type: "function_call";
  id?: string;
  call_id: string;
  name: string;
  arguments: string;
  status?: string;
}

/** The client's result of a call. */
export interface FunctionCallOutputItem {
  type: "function_call_output";
  id?: string;
  call_id: string;
  output: string | { type: "input_text"; text: string }[];
  status?: string;
}

/** An item of `input`. */
export type InputItem = MessageItem | FunctionCallItem | FunctionCallOutputItem;

/** A function tool as the Responses API writes it (flat, unlike chat's `{function: {...}}`). */
export interface FunctionTool {
  type: "function";
  name: string;
  description?: string | null;
  parameters?: object | boolean | null;
  strict?: boolean | null;
}

/** `text.format`. */
export type TextFormat =
  | { type: "text" }
  | { type: "json_object" }
  | { type: "json_schema"; name: string; schema: object | boolean; description?: string; strict?: boolean | null };

/** A `POST /v1/responses` body that passed the schema; unknown fields are kept. */
export interface ResponseCreateRequest {
  model: string;
  input?: string | InputItem[];
  instructions?: string | null;
  tools?: ({ type: string } & Record<string, unknown>)[] | null;
  tool_choice?: "none" | "auto" | "required" | { type: "function"; name: string } | null;
  parallel_tool_calls?: boolean | null;
  text?: { format?: TextFormat } | null;
  max_output_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  metadata?: Record<string, string> | null;
  stream?: boolean | null;
  store?: boolean | null;
  previous_response_id?: string | null;
  conversation?: string | { id: string } | null;
  /** Run detached: answered at once as `queued`, read back with GET, stopped with `/cancel`. */
  background?: boolean | null;
  /** Shimmy's, as on chat completions: the installed plugins whose tools the server runs (`core/src/tools/`). */
  plugins?: string[] | "all" | null;
  /** Shimmy's: rounds of plugin calls the server runs at most. */
  max_tool_rounds?: number | null;
  /** Shimmy's: the tool choice of the rounds after the first. */
  plugin_tool_choice?: "auto" | "required" | null;
}

/** An output text part. */
export interface OutputText {
  type: "output_text";
  text: string;
  annotations: unknown[];
  logprobs: unknown[];
}

/** A message of `output`. */
export interface OutputMessage {
  id: string;
  type: "message";
  status: "in_progress" | "completed" | "incomplete";
  role: "assistant";
  content: OutputText[];
}

/** A function call of `output`. */
export interface OutputFunctionCall {
  id: string;
  type: "function_call";
  status: "in_progress" | "completed" | "incomplete";
  call_id: string;
  name: string;
  arguments: string;
}

/** The result of a plugin tool the server ran (a server-side call), after its `function_call` item. */
export interface OutputFunctionCallOutput {
  id: string;
  type: "function_call_output";
  status: "completed";
  call_id: string;
  /** What the model was shown: the tool's result as JSON, or `Error: …`. */
  output: string;
}

/** The server's `file_search` run (responses/file-search.ts): what it searched for and, when `include` asks, what it found. */
export interface OutputFileSearchCall {
  id: string;
  type: "file_search_call";
  status: "in_progress" | "searching" | "completed" | "failed";
  queries: string[];
  results: { file_id: string; filename: string; score: number; attributes: Record<string, unknown>; text: string }[] | null;
}

/** An item of `output`. */
export type OutputItem = OutputMessage | OutputFunctionCall | OutputFunctionCallOutput | OutputFileSearchCall;

/** The statuses a response has. */
export type ResponseStatus = "completed" | "incomplete" | "failed" | "cancelled" | "in_progress" | "queued";

/** The response object. */
export interface ResponseObject {
  id: string;
  object: "response";
  created_at: number;
  status: ResponseStatus;
  background: boolean;
  error: { code: string; message: string } | null;
  incomplete_details: { reason: "max_output_tokens" } | null;
  instructions: string | null;
  max_output_tokens: number | null;
  model: string;
  output: OutputItem[];
  parallel_tool_calls: boolean;
  previous_response_id: string | null;
  conversation: { id: string } | null;
  reasoning: { effort: null; summary: null };
  store: boolean;
  temperature: number | null;
  text: { format: TextFormat };
  tool_choice: NonNullable<ResponseCreateRequest["tool_choice"]>;
  tools: FunctionTool[];
  top_p: number | null;
  truncation: "disabled";
  usage: {
    input_tokens: number;
    input_tokens_details: { cached_tokens: number };
    output_tokens: number;
    output_tokens_details: { reasoning_tokens: number };
    total_tokens: number;
  } | null;
  user: null;
  metadata: Record<string, string>;
}
