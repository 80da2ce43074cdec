/**
 * Pure converters from validated Ollama bodies onto the OpenAI chat core: a chat request becomes a
 * `/v1/chat/completions` body (validated and planned as that route does), `options` become the
 * engine's sampling settings. They assume the body passed `schemas.ts` and never throw.
 *
 * Ollama `options` not acted on, and why:
 * - `num_ctx`: a slot's context is fixed when the model loads (`--ctx-size`); reloading a model per
 *   request to change it would stall every other request on it, so the server's setting stands.
 * - `repeat_penalty`, `repeat_last_n`, `penalize_newline`: the engine's sampling has no repetition
 *   penalty of that kind (the OpenAI routes have none either); `presence_penalty` and
 *   `frequency_penalty` are applied.
 * - `mirostat*`, `tfs_z`, `typical_p`: samplers the engine does not offer.
 * - `num_keep`, `num_batch`, `num_gpu`, `main_gpu`, `num_thread`, `numa`, `use_mmap`, `use_mlock`,
 *   `low_vram`, …: load-time settings of the server (`--threads`, `--gpu`), not of a request.
 */
import type { SamplingParams } from "../engine/types.js";
import type { OllamaChatRequest, OllamaGenerateRequest, OllamaMessage, OllamaOptions, OllamaToolCall } from "./types.js";

/** The engine's sampling settings of Ollama `options`; absent ones take the engine's defaults. */
export function toSampling(options: OllamaOptions | null | undefined): SamplingParams {
  const params: SamplingParams = { stop: [...(options?.stop ?? [])] };
  if (!options) return params;
  // -1 (no limit) and -2 (fill the context) both leave the engine's cap: what the context has left.
  if (options.num_predict != null && options.num_predict > 0) params.maxTokens = options.num_predict;
  if (options.temperature != null) params.temperature = options.temperature;
  if (options.top_p != null) params.topP = options.top_p;
  if (options.top_k != null) params.topK = options.top_k;
  if (options.min_p != null) params.minP = options.min_p;
  if (options.seed != null) params.seed = options.seed;
  if (options.presence_penalty != null) params.presencePenalty = options.presence_penalty;
  if (options.frequency_penalty != null) params.frequencyPenalty = options.frequency_penalty;
  return params;
}

/** OpenAI's `response_format` for Ollama's `format`: `"json"` is any JSON object, an object is a schema. */
export function toResponseFormat(format: OllamaChatRequest["format"]): object | undefined {
  if (format === undefined || format === null || format === "") return undefined;
  if (format === "json") return { type: "json_object" };
  return { type: "json_schema", json_schema: { name: "format", schema: format } };
}

/** An OpenAI tool-call id for the `call`-th call of the `message`-th message, when the client sent none. */
function callId(message: number, call: number): string {
  return `call_${message}_${call}`;
}

/** The arguments as JSON text: Ollama sends an object, a few clients a string already. */
function argumentsText(args: OllamaToolCall["function"]["arguments"] | undefined): string {
  if (args === undefined) return "{}";
  return typeof args === "string" ? args : JSON.stringify(args);
}

/**
 * Ollama messages as OpenAI chat messages. Ollama's tool calls carry no id and its tool results
 * name the tool (`tool_name`), not the call: each result answers the first call of the latest
 * assistant message not answered yet with that name (or with any name, when it names none).
 */
export function toOpenAIMessages(messages: readonly OllamaMessage[]): object[] {
  let pending: { id: string; name: string }[] = [];
  let unmatched = 0;
  return messages.map((message, m) => {
    const content = message.content ?? "";
    switch (message.role) {
      case "assistant": {
        const calls = (message.tool_calls ?? []).map((call, c) => ({
          id: call.id ?? callId(m, c),
          type: "function",
          function: { name: call.function.name, arguments: argumentsText(call.function.arguments) },
        }));
        pending = calls.map((call) => ({ id: call.id, name: call.function.name }));
        return calls.length === 0 ? { role: "assistant", content } : { role: "assistant", content, tool_calls: calls };
      }
      case "tool": {
        const index = message.tool_call_id !== undefined
          ? pending.findIndex((call) => call.id === message.tool_call_id)
          : pending.findIndex((call) => message.tool_name === undefined || call.name === message.tool_name);
        const answered = index >= 0 ? pending.splice(index, 1)[0]!.id : (message.tool_call_id ?? `call_unmatched_${unmatched++}`);
        return { role: "tool", tool_call_id: answered, content };
      }
      default:
        return { role: message.role, content };
    }
  });
}

/**
 * The `/v1/chat/completions` body of an `/api/chat` request, for `model` (the resolved id). Sampling
 * is not in it: the route passes {@link toSampling}'s settings to the chat core itself.
 */
export function toChatCompletionBody(request: OllamaChatRequest, model: string): Record<string, unknown> {
  const responseFormat = toResponseFormat(request.format);
  const hasTools = request.tools && request.tools.length > 0;
  return {
    model,
    messages: toOpenAIMessages(request.messages ?? []),
    ...(hasTools ? { tools: request.tools } : {}),
    // Shimmy's extension: Ollama has no tool_choice, so OpenAI's is passed on for clients that want a call forced.
    ...(hasTools && request.tool_choice !== undefined && request.tool_choice !== null ? { tool_choice: request.tool_choice } : {}),
    ...(responseFormat ? { response_format: responseFormat } : {}),
  };
}

/**
 * The `/v1/chat/completions` body of a templated (not `raw`) `/api/generate` request: its `system`
 * and its `prompt` as one user turn, rendered with the model's own chat template.
 */
export function generateAsChatBody(request: OllamaGenerateRequest, model: string): Record<string, unknown> {
  const messages: OllamaMessage[] = [];
  if (request.system) messages.push({ role: "system", content: request.system });
  messages.push({ role: "user", content: request.prompt ?? "" });
  return toChatCompletionBody({ model, messages, format: request.format ?? null }, model);
}

/** Whether Ollama's `stream` asks for a stream: absent and null mean yes, as in Ollama. */
export function wantsOllamaStream(request: { stream?: boolean | null }): boolean {
  return request.stream !== false;
}
