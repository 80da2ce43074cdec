/**
 * Ollama's wire types, as far as Shimmy accepts and answers them on the Ollama listener. Field
 * names are Ollama's (snake_case) on purpose; the converters beside this file translate them to the
 * OpenAI chat core and the engine's own types. We follow the API of Ollama 0.12 (`OLLAMA_VERSION`).
 *
 * Request types describe a body that passed `schemas.ts`; unknown fields are kept but ignored.
 */

/** A tool call an assistant message carries: Ollama's arguments are a JSON object, not text. */
export interface OllamaToolCall {
  /** Some clients echo an id (OpenAI-style); Ollama's own calls have none. */
  id?: string;
  function: {
    /** The call's position in its message, as Ollama 0.12 writes it. */
    index?: number;
    name: string;
    arguments: Record<string, unknown> | string;
  };
}

/** One message of `/api/chat`. */
export interface OllamaMessage {
  role: "system" | "user" | "assistant" | "tool";
  content?: string;
  /** Base64 images: refused, the engine is text only. */
  images?: string[] | null;
  tool_calls?: OllamaToolCall[] | null;
  /** On a `tool` message: the tool whose result it is (Ollama 0.8+). */
  tool_name?: string;
  /** On a `tool` message: the call it answers, for clients that send OpenAI-style ids. */
  tool_call_id?: string;
  /** A thinking model's reasoning on an earlier assistant turn; not shown to the model again. */
  thinking?: string;
}

/** A tool the model may call: the same shape as OpenAI's. */
export interface OllamaTool {
  type: "function";
  function: { name: string; description?: string; parameters?: object };
}

/**
 * The `options` of a request: Ollama's runtime parameters. Those Shimmy acts on are typed here;
 * the others (`num_ctx`, `repeat_penalty`, `mirostat`, …) are accepted and ignored, each for the
 * reason `convert-request.ts` gives.
 */
export interface OllamaOptions {
  temperature?: number;
  top_p?: number;
  top_k?: number;
  min_p?: number;
  seed?: number;
  /** Most tokens to generate; -1 (no limit) and -2 (fill the context) leave the engine's cap. */
  num_predict?: number;
  stop?: string[];
  presence_penalty?: number;
  frequency_penalty?: number;
  [other: string]: unknown;
}

/** What `/api/chat` and `/api/generate` share. */
export interface OllamaGenerationFields {
  model: string;
  /** `"json"`, or a JSON Schema the answer must match; "" is no format. */
  format?: "json" | "" | object | null;
  options?: OllamaOptions | null;
  /** Absent means true: Ollama streams unless told not to. */
  stream?: boolean | null;
  keep_alive?: string | number | null;
  /** Thinking: `true`/`"high"`… is refused (no served model separates its reasoning), false is fine. */
  think?: boolean | string | null;
  /** Refused when true: the engine reports no log probabilities. */
  logprobs?: boolean | null;
}

/** A validated `POST /api/chat` body. */
export interface OllamaChatRequest extends OllamaGenerationFields {
  messages?: OllamaMessage[] | null;
  tools?: OllamaTool[] | null;
  /** Shimmy's extension, not Ollama's: OpenAI's `tool_choice` (`"required"`, a named function), checked as chat completions check it. */
  tool_choice?: unknown;
}

/** A validated `POST /api/generate` body. */
export interface OllamaGenerateRequest extends OllamaGenerationFields {
  prompt?: string | null;
  /** Text after the insertion point (fill in the middle). */
  suffix?: string | null;
  system?: string | null;
  /** A Go template to use instead of the model's: refused, Shimmy renders the model's own. */
  template?: string | null;
  /** The token context of an earlier `/api/generate` answer (deprecated by Ollama): refused. */
  context?: number[] | null;
  /** Send `prompt` to the model as it is, no chat template. */
  raw?: boolean | null;
  images?: string[] | null;
}

/** A validated `POST /api/embed` body. */
export interface OllamaEmbedRequest {
  model: string;
  input: string | string[];
  /** Ollama cuts inputs longer than the context when true (its default); Shimmy refuses them instead. */
  truncate?: boolean | null;
  dimensions?: number | null;
  keep_alive?: string | number | null;
  options?: OllamaOptions | null;
}

/** A validated `POST /api/embeddings` body (the older route, one prompt). */
export interface OllamaEmbeddingsRequest {
  model: string;
  prompt: string;
  keep_alive?: string | number | null;
  options?: OllamaOptions | null;
}

/** A validated `POST /api/show` body; older clients send `name`. */
export interface OllamaShowRequest {
  model?: string;
  name?: string;
  verbose?: boolean | null;
}

/** `details` of a model, in tags, ps and show. */
export interface OllamaModelDetails {
  parent_model: string;
  format: "gguf";
  family: string;
  families: string[] | null;
  /** `494M`, `8.0B`. */
  parameter_size: string;
  quantization_level: string;
}

/** One model of `GET /api/tags`. */
export interface OllamaTagsModel {
  /** `name:tag`, as Ollama clients expect it (`chat-llama:latest`). */
  name: string;
  model: string;
  /** RFC 3339. */
  modified_at: string;
  size: number;
  /** A stable sha256 hex of the model's id and file (Ollama's is the manifest's digest). */
  digest: string;
  details: OllamaModelDetails;
}

/** One loaded model of `GET /api/ps`. */
export interface OllamaRunningModel extends Omit<OllamaTagsModel, "modified_at"> {
  /** RFC 3339; far in the future for a model kept loaded for good. */
  expires_at: string;
  size_vram: number;
  context_length: number;
}

/** What `/api/chat` and `/api/generate` end with: why, and the timings (nanoseconds). */
export interface OllamaDoneFields {
  done: true;
  done_reason: "stop" | "length" | "load" | "unload";
  total_duration: number;
  load_duration: number;
  prompt_eval_count: number;
  prompt_eval_duration: number;
  eval_count: number;
  eval_duration: number;
}

/** The assistant message of a `/api/chat` answer or chunk. */
export interface OllamaAnswerMessage {
  role: "assistant";
  content: string;
  tool_calls?: OllamaToolCall[];
}

/** A `/api/chat` answer or stream line. */
export type OllamaChatChunk = { model: string; created_at: string; message: OllamaAnswerMessage } & ({ done: false } | OllamaDoneFields);

/** A `/api/generate` answer or stream line. */
export type OllamaGenerateChunk = { model: string; created_at: string; response: string } & ({ done: false } | OllamaDoneFields);
