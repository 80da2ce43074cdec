/**
 * Turns an upstream's streamed chunks (chat or completion) into the engine's callbacks as they
 * arrive and, at the end, one {@link GenerationResult}: text, tool calls, finish reason and usage
 * (the upstream's usage chunk, else the content chunks counted as tokens, as llama.cpp-style
 * servers send one a token).
 */
import type { FinishReason, GeneratedToolCall, GenerationResult, ToolCallDelta } from "../../engine/types.js";

interface ChunkToolCall {
  index?: number;
  id?: string;
  function?: { name?: string; arguments?: string };
}

/** The parts of a streamed chunk this reads: a chat chunk's `delta` or a completion chunk's `text`. */
interface UpstreamChunk {
  choices?: { delta?: { content?: string | null; tool_calls?: ChunkToolCall[] }; text?: string; finish_reason?: string | null }[];
  usage?: { prompt_tokens?: number; completion_tokens?: number; prompt_tokens_details?: { cached_tokens?: number } } | null;
  error?: unknown;
}

/** Callbacks of the request being served. */
export interface AssemblerCallbacks {
  onText?: (text: string) => void;
  onToolCall?: (delta: ToolCallDelta) => void;
}

/** Assembles one streamed answer; feed it every chunk in order, then take `result()`. */
export class StreamAssembler {
  private text = "";
  private readonly toolCalls: GeneratedToolCall[] = [];
  private finishReason: FinishReason = "stop";
  private chunksWithContent = 0;
  private usage: { prompt?: number; completion?: number; cached?: number } = {};

  constructor(private readonly callbacks: AssemblerCallbacks = {}) {}

  /** Tokens generated so far, for a {@link GenerationAborted}. */
  get completionTokens(): number {
    return this.usage.completion ?? this.chunksWithContent;
  }

  /** Tokens of the prompt, once the upstream said. */
  get promptTokens(): number {
    return this.usage.prompt ?? 0;
  }

  /**
   * Takes one chunk: text goes to `onText`, tool call pieces to `onToolCall`.
   * @returns the `error` field of an error event (an upstream that failed mid-stream), else undefined.
   */
  accept(chunk: UpstreamChunk): unknown {
    if (chunk.error !== undefined) return chunk.error;
    if (chunk.usage) {
      this.usage = { prompt: chunk.usage.prompt_tokens, completion: chunk.usage.completion_tokens, cached: chunk.usage.prompt_tokens_details?.cached_tokens };
    }
    const choice = chunk.choices?.[0];
    if (!choice) return undefined;
    const text = choice.delta?.content ?? choice.text;
    if (typeof text === "string" && text !== "") {
      this.text += text;
      this.chunksWithContent++;
      this.callbacks.onText?.(text);
    }
    for (const piece of choice.delta?.tool_calls ?? []) this.acceptToolCall(piece);
    if (choice.finish_reason) this.finishReason = finishReasonOf(choice.finish_reason);
    return undefined;
  }

  /** The whole answer. */
  result(): GenerationResult & { promptTokensReused?: number } {
    const toolCalls = this.toolCalls.filter(Boolean);
    return {
      text: this.text,
      ...(toolCalls.length > 0 ? { toolCalls } : {}),
      finishReason: toolCalls.length > 0 && this.finishReason === "stop" ? "tool_calls" : this.finishReason,
      promptTokens: this.promptTokens,
      completionTokens: this.usage.completion ?? this.chunksWithContent + toolCalls.length,
      ...(this.usage.cached === undefined ? {} : { promptTokensReused: this.usage.cached }),
    };
  }

  private acceptToolCall(piece: ChunkToolCall): void {
    const index = piece.index ?? 0;
    let call = this.toolCalls[index];
    if (!call) {
      call = { id: piece.id ?? `call_upstream_${index}`, name: piece.function?.name ?? "", arguments: "" };
      this.toolCalls[index] = call;
      this.callbacks.onToolCall?.({ index, id: call.id, name: call.name });
    } else if (piece.function?.name) {
      call.name += piece.function.name;
    }
    const args = piece.function?.arguments;
    if (args) {
      call.arguments += args;
      this.callbacks.onToolCall?.({ index, arguments: args });
    }
  }
}

function finishReasonOf(reason: string): FinishReason {
  return reason === "length" || reason === "tool_calls" ? reason : reason === "function_call" ? "tool_calls" : "stop";
}
