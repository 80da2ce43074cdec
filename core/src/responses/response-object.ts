/** Builders of the response object and its output items from the request and the engine's result. */
import type { GeneratedToolCall, GenerationResult } from "../engine/types.js";
import { randomId } from "../ids.js";
import { functionTools } from "./convert-request.js";
import type { OutputFunctionCall, OutputFunctionCallOutput, OutputItem, OutputMessage, OutputText, ResponseCreateRequest, ResponseObject, ResponseStatus } from "./types.js";

/** What a response carries besides its output: fixed when the request arrives. */
export interface ResponseHead {
  /** `resp_…`. */
  id: string;
  /** Seconds since the epoch. */
  createdAt: number;
  request: ResponseCreateRequest;
  /** The conversation the response belongs to, if any. */
  conversationId: string | null;
}

/** A fresh `resp_…` id. */
export function newResponseId(): string {
  return randomId("resp_");
}

/** An output text part. */
export function outputText(text: string): OutputText {
  return { type: "output_text", text, annotations: [], logprobs: [] };
}

/** An assistant message of `output`. */
export function outputMessage(id: string, text: string, status: OutputMessage["status"]): OutputMessage {
  return { id, type: "message", status, role: "assistant", content: [outputText(text)] };
}

/** A function call of `output`. */
export function outputFunctionCall(id: string, call: Pick<GeneratedToolCall, "id" | "name" | "arguments">, status: OutputFunctionCall["status"]): OutputFunctionCall {
  return { id, type: "function_call", status, call_id: call.id, name: call.name, arguments: call.arguments };
}

/** A plugin call's result item, after the call's `function_call` item. */
export function outputCallResult(id: string, callId: string, output: string): OutputFunctionCallOutput {
  return { id, type: "function_call_output", status: "completed", call_id: callId, output };
}

/** Ids for the output items of one answer, chosen once so a stream's events and the final object agree. */
export interface OutputIds {
  message: string;
  /** By tool call index. */
  calls: string[];
}

/** Fresh output item ids. */
export function newOutputIds(): OutputIds {
  return { message: randomId("msg_"), calls: [] };
}

/** The id of the tool call at `index`, made on first use. */
export function callItemId(ids: OutputIds, index: number): string {
  return (ids.calls[index] ??= randomId("fc_"));
}

/**
 * The response object, in any state: `result` (the usage) absent while in progress or when it
 * failed; `output` the items so far (see `ResponseEventStream.output`).
 */
export function responseObject(
  head: ResponseHead,
  state: { status: ResponseStatus; result?: GenerationResult; output?: OutputItem[]; error?: { code: string; message: string } },
): ResponseObject {
  const { request } = head;
  const { result } = state;
  return {
    id: head.id,
    object: "response",
    created_at: head.createdAt,
    status: state.status,
    background: request.background === true,
    error: state.error ?? null,
    incomplete_details: state.status === "incomplete" ? { reason: "max_output_tokens" } : null,
    instructions: request.instructions ?? null,
    max_output_tokens: request.max_output_tokens ?? null,
    // A route's answer names the model that served it (`result.model`), as chat completions do.
    model: result?.model ?? request.model,
    output: state.output ?? [],
    parallel_tool_calls: request.parallel_tool_calls ?? true,
    previous_response_id: request.previous_response_id ?? null,
    conversation: head.conversationId ? { id: head.conversationId } : null,
    reasoning: { effort: null, summary: null },
    store: request.store ?? true,
    temperature: request.temperature ?? null,
    text: { format: request.text?.format ?? { type: "text" } },
    tool_choice: request.tool_choice ?? "auto",
    tools: functionTools(request.tools),
    top_p: request.top_p ?? null,
    truncation: "disabled",
    usage: result
      ? {
          input_tokens: result.promptTokens,
          input_tokens_details: { cached_tokens: result.promptTokensReused ?? 0 },
          output_tokens: result.completionTokens,
          output_tokens_details: { reasoning_tokens: 0 },
          total_tokens: result.promptTokens + result.completionTokens,
        }
      : null,
    user: null,
    metadata: request.metadata ?? {},
  };
}

/** `completed`, or `incomplete` when the answer was cut at `max_output_tokens`. */
export function finalStatus(result: GenerationResult): ResponseStatus {
  return result.finishReason === "length" ? "incomplete" : "completed";
}
