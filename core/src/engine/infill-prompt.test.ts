/** The FIM prompt layout, without a model: token ids stand in for the tokenizer's. */
import { describe, expect, it } from "vitest";
import type { Token } from "node-llama-cpp";
import { fileContextTokens, infillPromptTokens, type FimTokens } from "./infill-prompt.js";

const t = (...ids: number[]) => ids as Token[];
const PRE = 901, SUF = 902, MID = 903, REP = 904, SEP = 905;
const qwen: FimTokens = { prefix: PRE as Token, suffix: SUF as Token, middle: MID as Token, repo: REP as Token, fileSeparator: SEP as Token };
const bare: FimTokens = { ...qwen, repo: null, fileSeparator: null };
/** A tokenizer that writes each character as its code. */
const chars = (text: string) => [...text].map((c) => c.charCodeAt(0) as Token);

describe("infillPromptTokens", () => {
  it("lays out prefix, prompt, suffix and middle in PSM order, files first", () => {
    const pieces = { prefix: t(1, 2), prompt: t(3), suffix: t(4, 5), files: t(7, 8, 9) };
    expect(infillPromptTokens(pieces, qwen, 100)).toEqual([7, 8, 9, PRE, 1, 2, 3, SUF, 4, 5, MID]);
  });

  it("keeps only the last tokens of the files that fit, never cutting prefix or suffix", () => {
    const pieces = { prefix: t(1), prompt: t(), suffix: t(2), files: t(7, 8, 9) };
    expect(infillPromptTokens(pieces, qwen, 2)).toEqual([8, 9, PRE, 1, SUF, 2, MID]);
    expect(infillPromptTokens(pieces, qwen, -5)).toEqual([PRE, 1, SUF, 2, MID]);
  });
});

describe("fileContextTokens", () => {
  it("is empty without files: a plain FIM prompt has no repository header", () => {
    expect(fileContextTokens([], qwen, chars)).toEqual([]);
  });

  it("writes llama.cpp's repository pattern when the model has the repo and file separator tokens", () => {
    const tokens = fileContextTokens([{ filename: "a", text: "x" }, { text: "y" }], qwen, chars);
    expect(tokens).toEqual([REP, ...chars("myproject\n"), SEP, ...chars("a\n"), ...chars("x"), SEP, ...chars("tmp\n"), ...chars("y"), SEP, ...chars("filename\n")]);
  });

  it("separates files with llama.cpp's snippet line when the model has no file separator", () => {
    expect(fileContextTokens([{ filename: "a", text: "x" }], bare, chars)).toEqual([...chars("\n\n--- snippet ---\n\n"), ...chars("x")]);
  });
});
