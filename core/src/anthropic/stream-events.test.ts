import { describe, expect, it } from "vitest";
import { MessageEventStream } from "./stream-events.js";

/** The events of a stream's text, as `[name, data]` pairs; each frame's name must equal its data's type. */
function parse(text: string): [string, Record<string, unknown>][] {
  return text
    .split("\n\n")
    .filter(Boolean)
    .map((frame) => {
      const [eventLine, dataLine] = frame.split("\n");
      const name = eventLine!.replace(/^event: /, "");
      const data = JSON.parse(dataLine!.replace(/^data: /, "")) as Record<string, unknown>;
      expect(data.type).toBe(name);
      return [name, data];
    });
}

const usage = { promptTokens: 9, completionTokens: 3 };

describe("MessageEventStream", () => {
  it("streams text as message_start, one text block with text_delta events, message_delta and message_stop", () => {
    const events = new MessageEventStream({ id: "msg_1", model: "m" });
    const text = events.start() + events.text("Hel") + events.text("") + events.text("lo") + events.finish({ finishReason: "stop", ...usage });
    const parsed = parse(text);
    expect(parsed.map(([name]) => name)).toEqual([
      "message_start", "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop", "message_delta", "message_stop",
    ]);
    expect(parsed[0]![1]).toMatchObject({ message: { id: "msg_1", type: "message", role: "assistant", model: "m", content: [], stop_reason: null } });
    expect(parsed[1]![1]).toEqual({ type: "content_block_start", index: 0, content_block: { type: "text", text: "" } });
    expect(parsed[3]![1]).toEqual({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "lo" } });
    expect(parsed[5]![1]).toEqual({ type: "message_delta", delta: { stop_reason: "end_turn", stop_sequence: null }, usage: { input_tokens: 9, output_tokens: 3 } });
  });

  it("streams tool calls as tool_use blocks after the text block, their input as input_json_delta", () => {
    const events = new MessageEventStream({ id: "msg_1", model: "m" });
    const text =
      events.start() + events.text("Let me check.") +
      events.toolCall({ index: 0, id: "call_a", name: "get_weather" }) + events.toolCall({ index: 0, arguments: '{"city":' }) + events.toolCall({ index: 0, arguments: '"Oslo"}' }) +
      events.toolCall({ index: 1, id: "call_b", name: "get_time" }) + events.toolCall({ index: 1, arguments: "{}" }) +
      events.finish({ finishReason: "tool_calls", ...usage });
    const parsed = parse(text);
    const blocks = parsed.filter(([name]) => name === "content_block_start").map(([, data]) => data);
    expect(blocks).toEqual([
      { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
      { type: "content_block_start", index: 1, content_block: { type: "tool_use", id: "call_a", name: "get_weather", input: {} } },
      { type: "content_block_start", index: 2, content_block: { type: "tool_use", id: "call_b", name: "get_time", input: {} } },
    ]);
    const json = parsed.filter(([name, data]) => name === "content_block_delta" && data.index === 1).map(([, data]) => (data.delta as { partial_json: string }).partial_json);
    expect(json.join("")).toBe('{"city":"Oslo"}');
    expect(parsed.filter(([name]) => name === "content_block_stop").map(([, data]) => data.index)).toEqual([0, 1, 2]);
    expect(parsed.at(-2)![1]).toMatchObject({ delta: { stop_reason: "tool_use" } });
  });

  it("gives an answer with no output one empty text block, and names a stop sequence", () => {
    const events = new MessageEventStream({ id: "msg_1", model: "m" });
    const parsed = parse(events.start() + events.finish({ finishReason: "stop", stopSequence: "END", ...usage }));
    expect(parsed.map(([name]) => name)).toEqual(["message_start", "content_block_start", "content_block_stop", "message_delta", "message_stop"]);
    expect(parsed[3]![1]).toMatchObject({ delta: { stop_reason: "stop_sequence", stop_sequence: "END" } });
  });
});
