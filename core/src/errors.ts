/**
 * The one error class Shimmy throws on purpose, and the catalog of its codes.
 *
 * Every failure that reaches a client is rendered from a {@link ShimmyError} in OpenAI's shape
 * `{"error": {"message", "type", "param", "code"}}` by one middleware. 4xx messages are shown to
 * the client; 5xx messages are replaced by a generic one and only logged (as Koa does).
 * `docs/reference/errors.md` lists this catalog and a test keeps the two in agreement.
 */

/** OpenAI's error `type` values that Shimmy uses. */
export type ErrorType =
  | "invalid_request_error"
  | "not_found_error"
  | "server_error";

/** One entry of the catalog: the HTTP status and OpenAI `type` a code always carries. */
export interface ErrorCatalogEntry {
  status: number;
  type: ErrorType;
  /** When a client sees this code, in words, for the reference page. */
  description: string;
  /** A 5xx whose message is written for the client (4xx messages always are). */
  expose?: boolean;
}

/** Every error code Shimmy can answer with. */
export const ERROR_CATALOG = {
  invalid_json: {
    status: 400,
    type: "invalid_request_error",
    description: "The request body is not valid JSON.",
  },
  invalid_parameter: {
    status: 400,
    type: "invalid_request_error",
    description: "A field is missing, has the wrong type or an out-of-range value; `param` names it.",
  },
  context_length_exceeded: {
    status: 400,
    type: "invalid_request_error",
    description: "The prompt has more tokens than one slot's context holds; the message gives both numbers.",
  },
  model_invalid: {
    status: 400,
    type: "invalid_request_error",
    description: "The requested model's file was refused before loading (broken or unsupported GGUF metadata).",
  },
  embeddings_unsupported: {
    status: 400,
    type: "invalid_request_error",
    description: "`POST /v1/embeddings` asked a model that llama.cpp cannot embed with (an encoder-decoder model such as T5).",
  },
  model_lacks_infill: {
    status: 400,
    type: "invalid_request_error",
    description: "A fill-in-the-middle request (`suffix` on `/v1/completions`, `POST /infill`) asked a model whose vocabulary has no FIM prefix, suffix and middle tokens; use a code model trained for it (Qwen2.5-Coder, CodeLlama, StarCoder2, Codestral).",
  },
  invalid_api_key: {
    status: 401,
    type: "invalid_request_error",
    description: "The server runs with `--api-key` and the request has no `Authorization: Bearer KEY` (or `x-api-key: KEY`) header, or a wrong key.",
  },
  forbidden_host: {
    status: 403,
    type: "invalid_request_error",
    description: "The `Host` header is not a loopback name while the server is bound to loopback (a DNS-rebinding page); `--allowed-hosts` adds names.",
  },
  forbidden_origin: {
    status: 403,
    type: "invalid_request_error",
    description: "The request comes from a web page whose origin is not allowed; `--cors-origins` adds origins.",
  },
  model_not_found: {
    status: 404,
    type: "invalid_request_error",
    description: "No model with that id is served; `GET /v1/models` lists the ids.",
  },
  not_found: {
    status: 404,
    type: "not_found_error",
    description: "No route matches the method and path.",
  },
  response_not_found: {
    status: 404,
    type: "invalid_request_error",
    description: "No stored response has that id: it was never stored (`store: false`), was deleted, or expired; `param` says which field named it.",
  },
  conversation_not_found: {
    status: 404,
    type: "invalid_request_error",
    description: "No conversation has that id (or it has no item of that id); `param` says which field named it.",
  },
  file_not_found: {
    status: 404,
    type: "invalid_request_error",
    description: "No uploaded file has that id (`/v1/files`), or the vector store holds no file of that id; `param` says which field named it.",
  },
  vector_store_not_found: {
    status: 404,
    type: "invalid_request_error",
    description: "No vector store has that id; `param` says which field named it.",
  },
  vector_store_expired: {
    status: 400,
    type: "invalid_request_error",
    description: "The vector store is past its `expires_at` (`expires_after`): its chunks and index were deleted, so it cannot be searched or given files; its record stays, with status `expired`. Create a new store.",
  },
  file_too_large: {
    status: 413,
    type: "invalid_request_error",
    description: "`POST /v1/files` got a file larger than `--max-file-bytes`.",
  },
  unsupported_file: {
    status: 400,
    type: "invalid_request_error",
    description: "A file cannot be read as text for a vector store: an unsupported type (by extension), an empty file, or a PDF with no text layer.",
  },
  embedding_model_unavailable: {
    status: 400,
    type: "invalid_request_error",
    description: "A vector store was created with no `embedding_model`, none is configured (`vectorStores.embeddingModel`) and the engine serves no embedding model; or the named one is not an embedding model.",
  },
  response_not_cancellable: {
    status: 400,
    type: "invalid_request_error",
    description: "`POST /v1/responses/{id}/cancel` named a response that was not created with `background: true`, or one that already finished.",
  },
  hub_repo_not_found: {
    status: 404,
    type: "not_found_error",
    description: "`POST /api/models/pull` named a Hugging Face repository the hub does not have (or a private one, and the server has no `HF_TOKEN`).",
  },
  hub_file_not_found: {
    status: 404,
    type: "not_found_error",
    description: "`POST /api/models/pull`: the repository has no GGUF model, or none of the asked quantization; the message lists those it has.",
  },
  hub_gated: {
    status: 403,
    type: "invalid_request_error",
    description: "`POST /api/models/pull` named a gated model: accept its licence on the model page, then start the server with `HF_TOKEN` set to an access token of that account.",
  },
  plugin_not_found: {
    status: 404,
    type: "not_found_error",
    description: "No installed plugin has that name; `GET /api/plugins` lists them.",
  },
  tool_not_found: {
    status: 404,
    type: "not_found_error",
    description: "No enabled plugin has a tool of that name; `GET /api/plugins` lists the tools.",
  },
  ambiguous_tool: {
    status: 409,
    type: "invalid_request_error",
    description: "Two or more plugins have a tool of that name; the message lists them; name one in `plugin`.",
  },
  step_not_found: {
    status: 404,
    type: "not_found_error",
    description: "No installed plugin has a workflow step of that name (a capability of kind `step`); `GET /api/plugins` lists each plugin's steps.",
  },
  ambiguous_step: {
    status: 409,
    type: "invalid_request_error",
    description: "Two or more plugins have a workflow step of that name; the message lists them; name one in `plugin`.",
  },
  plugin_unavailable: {
    status: 409,
    type: "invalid_request_error",
    description: "The plugin is disabled, or it could not be loaded (for example its plugin.wasm changed after install, or it did not finish instantiating within the start deadline), or it was marked failed after its instances kept failing to start; the message says why and what to run.",
  },
  pull_in_progress: {
    status: 409,
    type: "invalid_request_error",
    description: "Another pull (through the API or `shimmy pull`) is downloading the same file; wait for it to finish, or retry later.",
  },
  workflow_invalid: {
    status: 400,
    type: "invalid_request_error",
    description: "The workflow document breaks a rule: its shape, an unknown `uses`, a reference to a step that does not exist or comes later without `needs`, a cycle (the message names its steps), or an expression that does not parse or is not allowed; `param` is the JSON path of the fault.",
  },
  workflow_not_found: {
    status: 404,
    type: "not_found_error",
    description: "No saved workflow has that name (or that version); `GET /api/workflows` lists them.",
  },
  workflow_version_exists: {
    status: 409,
    type: "invalid_request_error",
    description: "`POST /api/workflows` gave a `version` that is already saved with a different document; leave `version` out to save the next one.",
  },
  workflow_run_not_found: {
    status: 404,
    type: "not_found_error",
    description: "No workflow run has that id; `GET /api/workflow-runs` lists them.",
  },
  workflow_run_finished: {
    status: 409,
    type: "invalid_request_error",
    description: "`POST /api/workflow-runs/{id}/cancel` named a run that has already finished; the message says how.",
  },
  idempotency_key_reused: {
    status: 409,
    type: "invalid_request_error",
    description: "The `Idempotency-Key` header was first sent with another workflow or input; a key returns the run it first created, for the same request only.",
  },
  workflow_expression_failed: {
    status: 400,
    type: "invalid_request_error",
    description: "In a workflow run's `error`: a `${{ }}` expression failed while the run resolved a step's arguments (a type error, or past the evaluation bounds of time, depth or size).",
  },
  workflow_depth_exceeded: {
    status: 400,
    type: "invalid_request_error",
    description: "In a workflow run's `error`: `workflow` steps nested deeper than the server allows (a workflow that runs itself, directly or not).",
  },
  request_too_large: {
    status: 413,
    type: "invalid_request_error",
    description: "The body is larger than `--max-body`.",
  },
  unsupported_media_type: {
    status: 415,
    type: "invalid_request_error",
    description: "The body is not sent as `application/json`.",
  },
  server_overloaded: {
    status: 503,
    type: "server_error",
    description: "Every slot is busy and the wait queue is full; retry after the `Retry-After` seconds.",
  },
  plugin_busy: {
    status: 503,
    type: "server_error",
    description: "Every instance of the plugin is busy and its queue of waiting calls is full (its cap is under Limits the host sets in docs/reference/plugin-manifest.md); retry after the `Retry-After` seconds.",
    expose: true,
  },
  output_invalid: {
    status: 500,
    type: "server_error",
    description: "The model's JSON answer or tool arguments broke a schema rule that no grammar can enforce (see docs/reference/json-schema.md); retrying may succeed.",
    expose: true,
  },
  model_load_failed: {
    status: 500,
    type: "server_error",
    description: "llama.cpp could not load the model file (the message says why, for example memory).",
    expose: true,
  },
  model_crashed: {
    status: 500,
    type: "server_error",
    description: "The model's runner process died (a llama.cpp abort, a kill, out of memory) while serving the request; the message names the model and the signal or exit code. The next request starts it again, unless it crashed three times in a row: then it is refused with `model_failed` until loaded explicitly (`POST /api/models/load`).",
    expose: true,
  },
  model_failed: {
    status: 503,
    type: "server_error",
    description: "The model's runner crashed three times in a row, so requests no longer start it: it is unavailable until loaded explicitly with `POST /api/models/load` (`shimmy load MODEL`), once the cause is fixed. Retrying the request alone does not help.",
    expose: true,
  },
  tool_failed: {
    status: 502,
    type: "server_error",
    description: "A plugin tool failed: the plugin reported an error or trapped, its output was not JSON or broke its outputSchema, or it went past a limit of its manifest; the message says which.",
    expose: true,
  },
  tool_timeout: {
    status: 504,
    type: "server_error",
    description: "A plugin tool ran past its manifest's `timeoutMs` and was stopped.",
    expose: true,
  },
  step_failed: {
    status: 502,
    type: "server_error",
    description: "A plugin's workflow step failed: the plugin reported an error or trapped, its output was not JSON or broke the step's `output` schema, or it went past a limit of its manifest; the message says which.",
    expose: true,
  },
  step_timeout: {
    status: 504,
    type: "server_error",
    description: "A plugin's workflow step ran past its manifest's `timeoutMs` and was stopped.",
    expose: true,
  },
  embedder_failed: {
    status: 502,
    type: "server_error",
    description: "A plugin embedder (a model `PLUGIN/EMBEDDER`) failed: the plugin reported an error (such as its remote endpoint's answer) or trapped, or its output broke the embedder contract (not one vector per text, a vector not `dimensions` numbers long, a number that is not finite); the message says which.",
    expose: true,
  },
  embedder_timeout: {
    status: 504,
    type: "server_error",
    description: "A plugin embedder ran past its manifest's `timeoutMs` and was stopped.",
    expose: true,
  },
  workflow_step_timeout: {
    status: 504,
    type: "server_error",
    description: "In a workflow run's `error`: a step's attempt ran past its `timeoutMs` (and its retries, if any, did too); the step was stopped.",
    expose: true,
  },
  workflow_timeout: {
    status: 504,
    type: "server_error",
    description: "In a workflow run's `error`: the run ran past the document's `timeoutMs`; its steps in flight were stopped.",
    expose: true,
  },
  upstream_unavailable: {
    status: 502,
    type: "server_error",
    description: "A model served by an upstream server (`UPSTREAM/MODEL`, see docs/guides/scale-out.md) could not answer: the upstream refused the connection, answered a 5xx, cut the stream, or (for a pool) every member fails its health check; the message names the upstream.",
    expose: true,
  },
  pull_failed: {
    status: 502,
    type: "server_error",
    description: "A pull's download failed (the hub answered an error, the connection was cut, or the file's sha256 did not match); the message says which, and running the pull again resumes it.",
    expose: true,
  },
  hub_timeout: {
    status: 504,
    type: "server_error",
    description: "The Hugging Face hub did not answer a pull in time; running the pull again resumes it.",
    expose: true,
  },
  disk_full: {
    status: 507,
    type: "server_error",
    description: "The disk filled up during a pull; the partial file is kept, so free some space and pull again to resume.",
    expose: true,
  },
  not_implemented: {
    status: 501,
    type: "invalid_request_error",
    description: "An Ollama route that manages models Ollama's way (`/api/pull`, `/api/push`, `/api/create`, `/api/copy`, `/api/delete`) on the Ollama listener; the message says what to use instead (`shimmy pull`, `shimmy rm`, an alias in config.json).",
    expose: true,
  },
  internal_error: {
    status: 500,
    type: "server_error",
    description: "An unexpected failure; the details are in the server's log, never in the response.",
  },
} as const satisfies Record<string, ErrorCatalogEntry>;

/** A code of {@link ERROR_CATALOG}. */
export type ErrorCode = keyof typeof ERROR_CATALOG;

/** Options of {@link ShimmyError} beyond its code and message. */
export interface ShimmyErrorOptions {
  /** The request field at fault, as a dotted path (`messages.0.content`). */
  param?: string | null;
  /** Extra response headers, such as `Retry-After`. */
  headers?: Record<string, string>;
  /** The underlying error, kept for the log. */
  cause?: unknown;
}

/**
 * An error with a catalog code. Throw it anywhere; the error middleware renders it.
 *
 * @example
 * throw new ShimmyError("invalid_parameter", "n must be 1", { param: "n" });
 */
export class ShimmyError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly type: ErrorType;
  readonly param: string | null;
  readonly headers: Record<string, string>;
  /** Whether the message may be shown to the client: true for 4xx, as in Koa. */
  readonly expose: boolean;

  constructor(code: ErrorCode, message: string, options: ShimmyErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    const entry: ErrorCatalogEntry = ERROR_CATALOG[code];
    this.name = "ShimmyError";
    this.code = code;
    this.status = entry.status;
    this.type = entry.type;
    this.param = options.param ?? null;
    this.headers = options.headers ?? {};
    this.expose = entry.status < 500 || entry.expose === true;
  }
}

/** The JSON body of an error response, in OpenAI's shape. */
export interface OpenAIErrorBody {
  error: { message: string; type: ErrorType; param: string | null; code: ErrorCode };
}

/** Renders any thrown value as the OpenAI error body and status; unknown errors become `internal_error`. */
export function toErrorResponse(err: unknown): { status: number; body: OpenAIErrorBody; headers: Record<string, string> } {
  const shimmy = err instanceof ShimmyError ? err : new ShimmyError("internal_error", "internal error", { cause: err });
  const message = shimmy.expose ? shimmy.message : "The server hit an internal error; its log has the details.";
  return {
    status: shimmy.status,
    headers: shimmy.headers,
    body: { error: { message, type: shimmy.type, param: shimmy.param, code: shimmy.code } },
  };
}

/** The codes whose status is 503: the client may retry the same request later. */
export type RetryLaterCode = { [K in ErrorCode]: (typeof ERROR_CATALOG)[K]["status"] extends 503 ? K : never }[ErrorCode];

/** Options of {@link retryLater}. */
export interface RetryLaterOptions {
  /** @default "server_overloaded" */
  code?: RetryLaterCode;
  /** The `Retry-After` header, in seconds. @default 1 */
  retryAfterSeconds?: number;
  cause?: unknown;
}

/**
 * A 503 that says when to come back (`Retry-After`): a full queue, a model being unloaded, a
 * server shutting down. The one place such an error is built, so none lacks the header.
 *
 * @example
 * throw retryLater("The model is being unloaded; retry shortly.");
 */
export function retryLater(message: string, options: RetryLaterOptions = {}): ShimmyError {
  const { code = "server_overloaded", retryAfterSeconds = 1, cause } = options;
  return new ShimmyError(code, message, { headers: { "Retry-After": String(retryAfterSeconds) }, cause });
}
