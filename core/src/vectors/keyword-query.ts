/**
 * Turns a user's search text into an FTS5 query: each word quoted (so `AND`, `NEAR`, `*` and
 * quotes in the text are plain words, never syntax), joined by `OR` so BM25 ranks the chunks
 * holding more of the words, and rarer ones, first.
 */

/** The FTS5 `MATCH` text for `query`; null when it has no word to look for. */
export function keywordQuery(query: string): string | null {
  const words = query.match(/[\p{L}\p{N}_]+/gu) ?? [];
  const unique = [...new Set(words.map((w) => w.toLowerCase()))].slice(0, 64);
  return unique.length === 0 ? null : unique.map((w) => `"${w}"`).join(" OR ");
}

/** A BM25 rank of FTS5 (negative, lower is better) as a score from 0 to 1. */
export function keywordScore(rank: number): number {
  const relevance = Math.max(0, -rank);
  return relevance / (1 + relevance);
}
