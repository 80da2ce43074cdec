/**
 * OpenAI's "static" chunking strategy: windows of at most `max_chunk_size_tokens` tokens, each
 * starting `chunk_overlap_tokens` (at most) before the previous one ended. Windows are cut between
 * words, so every chunk is a substring of the text.
 *
 * Token counts are estimated here ({@link estimateTokens}, deliberately high), then the embedding
 * model's own tokenizer has the last word: ingestion embeds each chunk alone, reads its exact count,
 * and splits any chunk still over the limit (ingestion.ts). The engine has no tokenize call that
 * survives its wrappers (routing, upstreams), while embedding does.
 */
import { ShimmyError } from "../errors.js";

/** OpenAI's bounds and defaults for the static strategy. */
export const CHUNKING_LIMITS = { minMax: 100, maxMax: 4096, defaultMax: 800, defaultOverlap: 400 } as const;

/** A static chunking strategy, validated. */
export interface StaticChunking {
  maxChunkSizeTokens: number;
  chunkOverlapTokens: number;
}

/** A chunk: its text and where it sits in the source text. */
export interface TextChunk {
  text: string;
  /** Offsets in the source text. */
  start: number;
  end: number;
  /** Estimated tokens. */
  tokens: number;
}

/**
 * Checks OpenAI's bounds: `max_chunk_size_tokens` 100 to 4096, `chunk_overlap_tokens` at least 0
 * and at most half of it. `param` prefixes the field names in errors.
 *
 * @throws ShimmyError `invalid_parameter`
 */
export function staticChunking(strategy: { max_chunk_size_tokens?: number; chunk_overlap_tokens?: number } | undefined, param = "chunking_strategy.static"): StaticChunking {
  const max = strategy?.max_chunk_size_tokens ?? CHUNKING_LIMITS.defaultMax;
  const overlap = strategy?.chunk_overlap_tokens ?? (strategy?.max_chunk_size_tokens === undefined ? CHUNKING_LIMITS.defaultOverlap : Math.floor(max / 2));
  if (!Number.isInteger(max) || max < CHUNKING_LIMITS.minMax || max > CHUNKING_LIMITS.maxMax) {
    throw new ShimmyError("invalid_parameter", `max_chunk_size_tokens must be an integer from ${CHUNKING_LIMITS.minMax} to ${CHUNKING_LIMITS.maxMax} (got ${max}).`, { param: `${param}.max_chunk_size_tokens` });
  }
  if (!Number.isInteger(overlap) || overlap < 0 || overlap > max / 2) {
    throw new ShimmyError("invalid_parameter", `chunk_overlap_tokens must be an integer from 0 to half of max_chunk_size_tokens, ${Math.floor(max / 2)} (got ${overlap}).`, { param: `${param}.chunk_overlap_tokens` });
  }
  return { maxChunkSizeTokens: max, chunkOverlapTokens: overlap };
}

/**
 * Tokens a piece of text takes, estimated high for BPE and WordPiece vocabularies alike: a
 * punctuation mark or a non-Latin character one each, a run of ASCII letters and digits one per 4
 * characters (rounded up).
 */
export function estimateTokens(piece: string): number {
  let tokens = 0;
  for (const run of piece.match(/[A-Za-z0-9]+|[^\sA-Za-z0-9]/gu) ?? []) {
    tokens += /^[A-Za-z0-9]/.test(run) ? Math.ceil(run.length / 4) : 1;
  }
  return tokens;
}

/** Words with the whitespace before them; a word longer than `maxTokens` is cut into pieces that fit. */
function segments(text: string, maxTokens: number): { start: number; end: number; tokens: number }[] {
  const out: { start: number; end: number; tokens: number }[] = [];
  for (const match of text.matchAll(/\s*\S+/g)) {
    const start = match.index;
    const word = match[0];
    const tokens = estimateTokens(word);
    if (tokens <= maxTokens) {
      out.push({ start, end: start + word.length, tokens });
      continue;
    }
    // Each character is at most one estimated token, so `maxTokens` characters always fit.
    for (let offset = 0; offset < word.length; offset += maxTokens) {
      const piece = word.slice(offset, offset + maxTokens);
      out.push({ start: start + offset, end: start + offset + piece.length, tokens: estimateTokens(piece) });
    }
  }
  return out;
}

/**
 * Cuts `text` into chunks of at most `maxTokens` estimated tokens, each repeating up to
 * `overlapTokens` of the previous one's end.
 *
 * @example
 * chunkText(longText, { maxChunkSizeTokens: 800, chunkOverlapTokens: 400 })
 */
export function chunkText(text: string, strategy: StaticChunking): TextChunk[] {
  const { maxChunkSizeTokens: max, chunkOverlapTokens: overlap } = strategy;
  const parts = segments(text, max);
  const chunks: TextChunk[] = [];
  let first = 0;
  while (first < parts.length) {
    let last = first;
    let tokens = 0;
    while (last < parts.length && tokens + parts[last]!.tokens <= max) tokens += parts[last++]!.tokens;
    const start = parts[first]!.start;
    const end = parts[last - 1]!.end;
    const raw = text.slice(start, end);
    const lead = raw.length - raw.trimStart().length;
    chunks.push({ text: raw.trim(), start: start + lead, end, tokens });
    if (last >= parts.length) break;
    // Step back over at most `overlap` tokens, always moving forward at least one segment.
    let next = last;
    let back = 0;
    while (next - 1 > first && back + parts[next - 1]!.tokens <= overlap) back += parts[--next]!.tokens;
    first = next;
  }
  return chunks;
}
