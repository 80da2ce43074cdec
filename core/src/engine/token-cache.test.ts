import type { LlamaModel } from "node-llama-cpp";
import { describe, expect, it } from "vitest";
import { cacheTokenizations } from "./token-cache.js";

/** A stand-in with LlamaModel's own `tokenize`/`tokenizer` properties: one token per character. */
function fakeModel() {
  const calls: string[] = [];
  const tokenize = Object.assign(
    (text: string, special?: boolean, options?: string) => {
      calls.push(`${text}|${String(special)}|${String(options)}`);
      return [...text].map((c) => c.charCodeAt(0) + (special ? 1000 : 0));
    },
    { detokenize: () => "", isSpecialToken: () => false, isEogToken: () => false },
  );
  return { model: { tokenize, tokenizer: tokenize } as unknown as LlamaModel, calls };
}

describe("cacheTokenizations", () => {
  it("answers a repeated text from the cache, per special-token mode and option", () => {
    const { model, calls } = fakeModel();
    cacheTokenizations(model);
    expect(model.tokenizer("ab")).toEqual([97, 98]);
    expect(model.tokenize("ab")).toEqual([97, 98]);
    expect(model.tokenizer("ab", true)).toEqual([1097, 1098]);
    expect(model.tokenizer("ab", false, "trimLeadingSpace")).toEqual([97, 98]);
    expect(calls).toEqual(["ab|undefined|undefined", "ab|true|undefined", "ab|false|trimLeadingSpace"]);
    expect(typeof model.tokenizer.detokenize).toBe("function");
  });

  it("hands out copies, so a caller that changes its array cannot change the cache", () => {
    const { model } = fakeModel();
    cacheTokenizations(model);
    model.tokenizer("xy").push(1 as never);
    const again = model.tokenizer("xy");
    again.length = 0;
    expect(model.tokenizer("xy")).toEqual([120, 121]);
  });

  it("keeps a bounded number of entries, dropping the least recently used", () => {
    const { model, calls } = fakeModel();
    cacheTokenizations(model);
    model.tokenizer("keep");
    for (let i = 0; i < 600; i++) {
      model.tokenizer(`t${i}`);
      if (i % 100 === 0) model.tokenizer("keep");
    }
    const before = calls.length;
    model.tokenizer("keep");
    model.tokenizer("t0");
    expect(calls.length - before).toBe(1); // "keep" was used recently; "t0" fell out
  });
});
