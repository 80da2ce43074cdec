import { describe, expect, it } from "vitest";
import { ShimmyError } from "../errors.js";
import { chunkText, estimateTokens, staticChunking } from "./chunker.js";

const words = (n: number) => Array.from({ length: n }, (_, i) => `w${i}`).join(" ");

describe("staticChunking", () => {
  it("defaults to OpenAI's 800/400", () => {
    expect(staticChunking(undefined)).toEqual({ maxChunkSizeTokens: 800, chunkOverlapTokens: 400 });
  });

  it.each([
    [{ max_chunk_size_tokens: 99, chunk_overlap_tokens: 0 }, "chunking_strategy.static.max_chunk_size_tokens"],
    [{ max_chunk_size_tokens: 4097, chunk_overlap_tokens: 0 }, "chunking_strategy.static.max_chunk_size_tokens"],
    [{ max_chunk_size_tokens: 200, chunk_overlap_tokens: 101 }, "chunking_strategy.static.chunk_overlap_tokens"],
    [{ max_chunk_size_tokens: 200, chunk_overlap_tokens: -1 }, "chunking_strategy.static.chunk_overlap_tokens"],
  ])("refuses %j out of OpenAI's bounds", (strategy, param) => {
    expect(() => staticChunking(strategy)).toThrow(ShimmyError);
    try { staticChunking(strategy); } catch (err) { expect((err as ShimmyError).param).toBe(param); }
  });

  it("accepts the bounds themselves", () => {
    expect(staticChunking({ max_chunk_size_tokens: 4096, chunk_overlap_tokens: 2048 })).toEqual({ maxChunkSizeTokens: 4096, chunkOverlapTokens: 2048 });
    expect(staticChunking({ max_chunk_size_tokens: 100, chunk_overlap_tokens: 0 })).toEqual({ maxChunkSizeTokens: 100, chunkOverlapTokens: 0 });
  });
});

describe("chunkText", () => {
  it("keeps a short text whole", () => {
    expect(chunkText("hello world", { maxChunkSizeTokens: 100, chunkOverlapTokens: 50 })).toEqual([{ text: "hello world", start: 0, end: 11, tokens: 4 }]);
  });

  it("never exceeds the limit, covers the text, and overlaps by at most the overlap", () => {
    const text = words(1000);
    const chunks = chunkText(text, { maxChunkSizeTokens: 100, chunkOverlapTokens: 30 });
    expect(chunks.length).toBeGreaterThan(10);
    for (const chunk of chunks) {
      expect(chunk.tokens).toBeLessThanOrEqual(100);
      expect(estimateTokens(chunk.text)).toBe(chunk.tokens);
      expect(text.slice(chunk.start, chunk.end)).toBe(chunk.text);
    }
    expect(chunks[0]!.start).toBe(0);
    expect(chunks.at(-1)!.end).toBe(text.length);
    for (let i = 1; i < chunks.length; i++) {
      const overlap = estimateTokens(text.slice(chunks[i]!.start, chunks[i - 1]!.end));
      expect(chunks[i]!.start).toBeGreaterThan(chunks[i - 1]!.start);
      expect(chunks[i]!.start).toBeLessThan(chunks[i - 1]!.end);
      expect(overlap).toBeLessThanOrEqual(30);
      expect(overlap).toBeGreaterThan(20);
    }
  });

  it("chunks without overlap back to back", () => {
    const text = words(300);
    const chunks = chunkText(text, { maxChunkSizeTokens: 100, chunkOverlapTokens: 0 });
    expect(chunks.map((c) => c.text).join(" ")).toBe(text);
  });

  it("cuts a word longer than the limit into pieces", () => {
    const text = "x".repeat(1000);
    const chunks = chunkText(text, { maxChunkSizeTokens: 100, chunkOverlapTokens: 0 });
    expect(chunks.every((c) => c.tokens <= 100)).toBe(true);
    expect(chunks.map((c) => c.text).join("")).toBe(text);
  });

  it("estimates punctuation and non-Latin characters one token each", () => {
    expect(estimateTokens("a, b.")).toBe(4);
    expect(estimateTokens("日本語")).toBe(3);
    expect(estimateTokens("abcdefghi")).toBe(3);
  });
});
