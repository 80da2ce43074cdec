import { describe, expect, it } from "vitest";
import { parseModelRef } from "./model-ref.js";

describe("parseModelRef", () => {
  it("reads org/repo without a quantization", () => {
    expect(parseModelRef("bartowski/SmolLM2-135M-Instruct-GGUF")).toEqual({ repo: "bartowski/SmolLM2-135M-Instruct-GGUF", quant: null });
  });

  it("upper-cases the quantization after the colon", () => {
    expect(parseModelRef("org/repo:q4_k_m")).toEqual({ repo: "org/repo", quant: "Q4_K_M" });
  });

  it("takes Ollama's hf.co spelling, huggingface.co and full addresses", () => {
    expect(parseModelRef("hf.co/org/repo:Q8_0")).toEqual({ repo: "org/repo", quant: "Q8_0" });
    expect(parseModelRef("huggingface.co/org/repo")).toEqual({ repo: "org/repo", quant: null });
    expect(parseModelRef("https://huggingface.co/org/repo/")).toEqual({ repo: "org/repo", quant: null });
  });

  it("treats :latest as no quantization, as Ollama does", () => {
    expect(parseModelRef("hf.co/org/repo:latest").quant).toBeNull();
  });

  it("refuses what is not org/repo", () => {
    for (const bad of ["repo", "a/b/c", "org/re po", "org/--x", "org/repo:", "org/repo:Q4/K", "../etc/passwd"]) {
      expect(() => parseModelRef(bad), bad).toThrow(expect.objectContaining({ code: "invalid_reference" }));
    }
  });
});
