import { describe, expect, it } from "vitest";
import { FakeEngine, fakeModel } from "./fake-engine.js";
import { GenerationAborted, type ChatRequest } from "./types.js";

const request = (extra: Partial<ChatRequest> = {}): ChatRequest => ({
  model: "fake-chat", turns: [{ role: "user", text: "a b c" }], sampling: { stop: [] }, signal: new AbortController().signal, ...extra,
});

describe("FakeEngine", () => {
  it("streams the answer in the pieces of its text and counts tokens as words", async () => {
    const pieces: string[] = [];
    const result = await new FakeEngine().chat(request({ onText: (t) => pieces.push(t) }));
    expect(result).toEqual({ text: "You said: a b c", finishReason: "stop", promptTokens: 6, completionTokens: 5 });
    expect(pieces.join("")).toBe(result.text);
  });

  it("ends at a stop sequence, which is not part of the text", async () => {
    const result = await new FakeEngine().chat(request({ sampling: { stop: [" b"] } }));
    expect(result).toMatchObject({ text: "You said: a", finishReason: "stop" });
  });

  it("rejects with GenerationAborted when the signal aborts between tokens", async () => {
    const abort = new AbortController();
    const engine = new FakeEngine({ tokenDelayMs: 20 });
    const pending = engine.chat(request({ signal: abort.signal, onText: () => abort.abort() }));
    await expect(pending).rejects.toBeInstanceOf(GenerationAborted);
    expect(engine.slotStatus()).toEqual([{ model: "fake-chat", slots: 1, busy: 0, waiting: 0 }]);
  });

  it("throws what fail returns, and model_not_found for an unknown model", async () => {
    const engine = new FakeEngine({ models: [fakeModel("m")], fail: () => new Error("boom") });
    await expect(engine.chat(request({ model: "m" }))).rejects.toThrow("boom");
    await expect(engine.chat(request({ model: "x" }))).rejects.toMatchObject({ code: "model_not_found", param: "model" });
  });

  it("embeds equal inputs equally, as unit vectors", async () => {
    const { vectors } = await new FakeEngine().embed({ model: "fake-embed", inputs: ["same", "same", "other"], signal: new AbortController().signal });
    expect(vectors[0]).toEqual(vectors[1]);
    expect(vectors[0]).not.toEqual(vectors[2]);
    expect(Math.hypot(...vectors[2]!)).toBeCloseTo(1, 5);
  });
});
