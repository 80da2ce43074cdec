/**
 * Pure converters from the engine's requests back to OpenAI's request bodies, for an upstream:
 * chat turns to `messages`, sampling to its fields, tools, tool choice and the response format
 * (a JSON Schema passes as `response_format`). Always streamed, with usage asked for, so tokens
 * reach the engine's callbacks as they arrive. They never throw.
 */
import type { ChatRequest, ChatTurn, CompletionRequest, EmbeddingRequest, SamplingParams, ToolChoice } from "../../engine/types.js";

/** A message of OpenAI's chat request. */
export type UpstreamMessage =
  | { role: "system" | "user"; content: string }
  | { role: "assistant"; content: string | null; tool_calls?: { id: string; type: "function"; function: { name: string; arguments: string } }[] }
  | { role: "tool"; tool_call_id: string; content: string };

/** The turns as OpenAI messages; an assistant turn of only tool calls has `content: null`, as OpenAI writes it. */
export function toUpstreamMessages(turns: readonly ChatTurn[]): UpstreamMessage[] {
  return turns.map((turn): UpstreamMessage => {
    switch (turn.role) {
      case "system":
      case "user":
        return { role: turn.role, content: turn.text };
      case "assistant":
        return turn.toolCalls.length === 0
          ? { role: "assistant", content: turn.text }
          : {
              role: "assistant",
              content: turn.text === "" ? null : turn.text,
              tool_calls: turn.toolCalls.map((call) => ({ id: call.id, type: "function", function: { name: call.name, arguments: call.arguments } })),
            };
      case "tool":
        return { role: "tool", tool_call_id: turn.toolCallId, content: turn.text };
    }
  });
}

/**
 * The sampling fields that are set, under OpenAI's names (`top_k` and `min_p` as llama.cpp, vLLM
 * and Shimmy take them; `max_tokens`, which every OpenAI-compatible server reads).
 */
export function toUpstreamSampling(sampling: SamplingParams): Record<string, unknown> {
  const fields: Record<string, unknown> = {
    max_tokens: sampling.maxTokens,
    temperature: sampling.temperature,
    top_p: sampling.topP,
    top_k: sampling.topK,
    min_p: sampling.minP,
    seed: sampling.seed,
    presence_penalty: sampling.presencePenalty,
    frequency_penalty: sampling.frequencyPenalty,
    logit_bias: sampling.logitBias,
    stop: sampling.stop.length > 0 ? sampling.stop : undefined,
  };
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
}

function toUpstreamToolChoice(choice: ToolChoice): unknown {
  return choice.mode === "named" ? { type: "function", function: { name: choice.name } } : choice.mode;
}

/** What every streamed request adds: the stream, with a usage chunk at its end. */
const STREAMED = { stream: true, stream_options: { include_usage: true } } as const;

/**
 * Which field carries a chat request's token cap upstream: `max_tokens` (every OpenAI-compatible
 * server reads it), or `max_completion_tokens` when the client sent that (OpenAI's current name,
 * which its reasoning models require; vLLM reads both, llama.cpp's server since February 2026).
 */
export type MaxTokensField = "max_tokens" | "max_completion_tokens";

/** The body of `POST /chat/completions` for `request`, sent to the upstream as its model `model`. */
export function toUpstreamChatBody(request: Omit<ChatRequest, "model" | "signal">, model: string, maxTokensField: MaxTokensField = "max_tokens"): Record<string, unknown> {
  const tools = request.tools ?? [];
  const { max_tokens: maxTokens, ...sampling } = toUpstreamSampling(request.sampling);
  return {
    model,
    messages: toUpstreamMessages(request.turns),
    ...STREAMED,
    ...(maxTokens === undefined ? {} : { [maxTokensField]: maxTokens }),
    ...sampling,
    ...(tools.length > 0
      ? {
          tools: tools.map((tool) => ({
            type: "function",
            function: { name: tool.name, ...(tool.description === undefined ? {} : { description: tool.description }), parameters: tool.parameters },
          })),
          ...(request.toolChoice ? { tool_choice: toUpstreamToolChoice(request.toolChoice) } : {}),
          ...(request.parallelToolCalls === undefined ? {} : { parallel_tool_calls: request.parallelToolCalls }),
        }
      : {}),
    ...(request.responseFormat?.type === "json_schema"
      ? { response_format: { type: "json_schema", json_schema: { name: "response", strict: true, schema: request.responseFormat.schema } } }
      : {}),
  };
}

/** The body of `POST /completions` for `request`, sent as the upstream's model `model`. */
export function toUpstreamCompletionBody(request: Pick<CompletionRequest, "prompt" | "sampling">, model: string): Record<string, unknown> {
  return { model, prompt: request.prompt, ...STREAMED, ...toUpstreamSampling(request.sampling) };
}

/** The body of `POST /embeddings` for `request` (token arrays pass as they are), as the upstream's model `model`. */
export function toUpstreamEmbeddingBody(request: Pick<EmbeddingRequest, "inputs" | "dimensions">, model: string): Record<string, unknown> {
  return { model, input: request.inputs, encoding_format: "float", ...(request.dimensions === undefined ? {} : { dimensions: request.dimensions }) };
}
