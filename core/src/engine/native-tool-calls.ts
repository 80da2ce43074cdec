/**
 * Tool calls a model makes in its own format (`tool_choice: auto`), as node-llama-cpp's chat
 * wrappers parse them: streamed as OpenAI deltas while their parameters are generated, and
 * returned with the exact parameter text streamed, so the pieces add up to `arguments`.
 */
import type { ChatModelFunctions, LlamaChatResponseFunctionCall, LlamaChatResponseFunctionCallParamsChunk } from "node-llama-cpp";
import { randomId } from "../ids.js";
import type { GeneratedToolCall, ToolCallDelta } from "./types.js";

interface NativeCall {
  id: string;
  name: string;
  text: string;
}

/** Collects one answer's native tool calls. */
export class NativeToolCalls {
  private readonly calls = new Map<number, NativeCall>();

  constructor(private readonly onDelta?: (delta: ToolCallDelta) => void) {}

  /** Takes a piece of a call's parameters as node-llama-cpp streams it. */
  push(chunk: LlamaChatResponseFunctionCallParamsChunk): void {
    let call = this.calls.get(chunk.callIndex);
    if (!call) {
      call = { id: randomId("call_"), name: chunk.functionName, text: "" };
      this.calls.set(chunk.callIndex, call);
      this.onDelta?.({ index: chunk.callIndex, id: call.id, name: call.name });
    }
    if (chunk.paramsChunk !== "") {
      call.text += chunk.paramsChunk;
      this.onDelta?.({ index: chunk.callIndex, arguments: chunk.paramsChunk });
    }
  }

  /** The calls of the finished answer; parameters that were never streamed are written as JSON. */
  result(functionCalls: readonly LlamaChatResponseFunctionCall<ChatModelFunctions>[]): GeneratedToolCall[] {
    return functionCalls.map((call, index) => {
      const streamed = this.calls.get(index);
      const text = streamed?.text.trim() ?? "";
      return {
        id: streamed?.id ?? randomId("call_"),
        name: call.functionName,
        arguments: text !== "" ? text : JSON.stringify(call.params ?? {}),
      };
    });
  }
}
