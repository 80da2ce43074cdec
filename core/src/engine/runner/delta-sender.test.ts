import { describe, expect, it } from "vitest";
import { DeltaSender } from "./delta-sender.js";
import type { FromRunner } from "./protocol.js";

/** A channel whose writes are acknowledged only when the test says so. */
function slowChannel() {
  const sent: FromRunner[] = [];
  const acks: (() => void)[] = [];
  const sender = new DeltaSender((message, done) => {
    sent.push(structuredClone(message));
    acks.push(() => done(null));
  }, 2);
  const ackAll = () => {
    while (acks.length > 0) acks.shift()!();
  };
  return { sender, sent, ackAll };
}

describe("DeltaSender", () => {
  it("sends deltas at once while the channel keeps up", () => {
    const { sender, sent, ackAll } = slowChannel();
    sender.delta({ type: "text", id: 1, text: "a" });
    ackAll();
    sender.delta({ type: "text", id: 1, text: "b" });
    expect(sent).toEqual([{ type: "text", id: 1, text: "a" }, { type: "text", id: 1, text: "b" }]);
  });

  it("holds and merges a request's deltas while the channel is behind, in order, and flushes them before its result", () => {
    const { sender, sent, ackAll } = slowChannel();
    for (const text of ["a", "b", "c", "d"]) sender.delta({ type: "text", id: 1, text });
    sender.delta({ type: "tool_call", id: 1, delta: { index: 0, id: "call_1", name: "f" } });
    sender.delta({ type: "text", id: 1, text: "e" });
    // Two in flight (the high-water mark): the rest is held, consecutive text merged.
    expect(sent.map((m) => (m.type === "text" ? m.text : m.type))).toEqual(["a", "b"]);
    sender.now({ type: "result", id: 1, value: 5 });
    expect(sent.map((m) => (m.type === "text" ? m.text : m.type))).toEqual(["a", "b", "cd", "tool_call", "e", "result"]);
    ackAll();
    expect(sender.inFlight).toBe(0);
  });

  it("sends what it held once the channel has caught up", () => {
    const { sender, sent, ackAll } = slowChannel();
    for (const text of ["a", "b", "c", "d"]) sender.delta({ type: "text", id: 7, text });
    expect(sent).toHaveLength(2);
    ackAll();
    expect(sent.at(-1)).toEqual({ type: "text", id: 7, text: "cd" });
  });
});
