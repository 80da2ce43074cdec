import { describe, expect, it } from "vitest";
import { ShimmyError } from "../../errors.js";
import { GenerationAborted } from "../types.js";
import { fromWireError, streamFlags, toWire, toWireError } from "./protocol.js";
import { serialize, deserialize } from "node:v8";

describe("runner protocol", () => {
  it("sends a request without its signal, callbacks, keep-alive and model, so it can be cloned", () => {
    const request = {
      model: "m", signal: new AbortController().signal, onText: () => undefined, onToolCall: () => undefined, keepAlive: 5,
      turns: [{ role: "user" as const, text: "hi" }], sampling: { stop: [] },
    };
    const wire = toWire(request);
    expect(wire).toEqual({ turns: request.turns, sampling: request.sampling });
    // What fork's "advanced" serialization does with it: a function or signal left in would throw.
    expect(deserialize(serialize(wire))).toEqual(wire);
    expect(streamFlags(request)).toEqual({ text: true, toolCalls: true });
    expect(streamFlags({})).toEqual({ text: false, toolCalls: false });
  });

  it("crosses embeddings as Float32Arrays", () => {
    const value = { vectors: [new Float32Array([0.5, -1, 3.25])], promptTokens: 3, dimensions: 3 };
    const back = deserialize(serialize({ type: "result", id: 1, value })) as { value: typeof value };
    expect(back.value.vectors[0]).toBeInstanceOf(Float32Array);
    expect([...back.value.vectors[0]!]).toEqual([0.5, -1, 3.25]);
  });

  it("throws the same errors on the server's side: coded, aborted with counts, and plain", () => {
    const coded = fromWireError(toWireError(new ShimmyError("context_length_exceeded", "too long", { param: "messages" })));
    expect(coded).toBeInstanceOf(ShimmyError);
    expect(coded).toMatchObject({ code: "context_length_exceeded", status: 400, message: "too long", param: "messages" });
    const aborted = fromWireError(toWireError(new GenerationAborted(12, 3)));
    expect(aborted).toBeInstanceOf(GenerationAborted);
    expect(aborted).toMatchObject({ promptTokens: 12, completionTokens: 3 });
    const plain = fromWireError(toWireError(new TypeError("boom")));
    expect(plain).not.toBeInstanceOf(ShimmyError);
    expect(plain).toMatchObject({ name: "TypeError", message: "boom" });
    expect(fromWireError(toWireError("odd"))).toMatchObject({ message: "odd" });
  });
});
