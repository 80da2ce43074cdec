import { describe, expect, it } from "vitest";
import { ShimmyError } from "../errors.js";
import { toChatHistory } from "./chat-history.js";

describe("toChatHistory", () => {
  it("maps system and user turns and ends with an empty model turn to answer in", () => {
    expect(
      toChatHistory([
        { role: "system", text: "Be brief." },
        { role: "user", text: "Hi" },
      ]),
    ).toEqual([
      { type: "system", text: "Be brief." },
      { type: "user", text: "Hi" },
      { type: "model", response: [] },
    ]);
  });

  it("continues a final assistant turn instead of starting a new one (prefill)", () => {
    const history = toChatHistory([
      { role: "user", text: "Count" },
      { role: "assistant", text: "1, 2,", toolCalls: [] },
    ]);
    expect(history.at(-1)).toEqual({ type: "model", response: ["1, 2,"] });
    expect(history).toHaveLength(2);
  });

  it("attaches tool results to the calls they answer, parsing JSON arguments and results", () => {
    const history = toChatHistory([
      { role: "user", text: "Weather?" },
      { role: "assistant", text: "", toolCalls: [{ id: "call_1", name: "weather", arguments: '{"city":"Oslo"}' }] },
      { role: "tool", toolCallId: "call_1", text: '{"temp":3}' },
    ]);
    expect(history[1]).toEqual({
      type: "model",
      response: [{ type: "functionCall", name: "weather", params: { city: "Oslo" }, result: { temp: 3 }, startsNewChunk: true }],
    });
    expect(history.at(-1)).toEqual({ type: "model", response: [] });
  });

  it("keeps arguments and results that are not JSON as text", () => {
    const history = toChatHistory([
      { role: "assistant", text: "", toolCalls: [{ id: "c", name: "f", arguments: "not json" }] },
      { role: "tool", toolCallId: "c", text: "plain result" },
    ]);
    expect(history[0]).toMatchObject({ response: [{ params: "not json", result: "plain result" }] });
  });

  it("refuses a tool result that answers no earlier call, naming the message", () => {
    try {
      toChatHistory([
        { role: "user", text: "x" },
        { role: "tool", toolCallId: "call_x", text: "r" },
      ]);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ShimmyError);
      expect((err as ShimmyError).param).toBe("messages.1.tool_call_id");
    }
  });
});
