/**
 * Converts wire-neutral chat turns into node-llama-cpp's chat history, so each model's own chat
 * template renders them. Tool results join the call they answer, as the chat wrappers expect.
 */
import type { ChatHistoryItem, ChatModelFunctionCall, ChatModelResponse } from "node-llama-cpp";
import { ShimmyError } from "../errors.js";
import type { ChatTurn } from "./types.js";

function parseArguments(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * Builds the history to generate the next assistant turn from. It always ends with a model item:
 * an empty one to answer in, or the client's last assistant turn to continue (a prefill).
 * @throws ShimmyError `invalid_parameter` for a tool result that answers no earlier call.
 */
export function toChatHistory(turns: readonly ChatTurn[]): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = [];
  const callsById = new Map<string, ChatModelFunctionCall>();
  turns.forEach((turn, index) => {
    switch (turn.role) {
      case "system":
        history.push({ type: "system", text: turn.text });
        break;
      case "user":
        history.push({ type: "user", text: turn.text });
        break;
      case "assistant": {
        const response: ChatModelResponse["response"] = turn.text === "" ? [] : [turn.text];
        turn.toolCalls.forEach((call, callIndex) => {
          const item: ChatModelFunctionCall = {
            type: "functionCall",
            name: call.name,
            params: parseArguments(call.arguments),
            result: undefined,
            startsNewChunk: callIndex === 0,
          };
          callsById.set(call.id, item);
          response.push(item);
        });
        history.push({ type: "model", response });
        break;
      }
      case "tool": {
        const call = callsById.get(turn.toolCallId);
        if (!call) {
          throw new ShimmyError(
            "invalid_parameter",
            `messages.${index}.tool_call_id "${turn.toolCallId}" answers no tool call of an earlier assistant message`,
            { param: `messages.${index}.tool_call_id` },
          );
        }
        call.result = parseArguments(turn.text);
        break;
      }
    }
  });
  const last = history.at(-1);
  const lastTurn = turns.at(-1);
  const continuesAssistant = last?.type === "model" && lastTurn?.role === "assistant" && lastTurn.toolCalls.length === 0;
  if (!continuesAssistant) history.push({ type: "model", response: [] });
  return history;
}
