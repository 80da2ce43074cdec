/**
 * Reciprocal rank fusion (Cormack, Clarke and Büttcher, 2009): an item's fused score is the sum,
 * over the ranked lists it appears in, of 1 / (k + rank). It needs no calibration between the
 * lists' own scores (cosine similarity, BM25), which is why hybrid search uses it.
 */

/** The constant of the paper, which damps the weight of the very first ranks. */
export const RRF_K = 60;

/** A fused item and its score, scaled to 0..1 (1: first in every list). */
export interface FusedItem {
  key: number;
  score: number;
}

/**
 * Fuses ranked lists of keys (best first) into one, best first; ties keep the order of first
 * appearance.
 *
 * @example
 * fuseRanks([[3, 1, 2], [1, 4]]) // 1 first: second and first
 */
export function fuseRanks(lists: readonly (readonly number[])[], k: number = RRF_K): FusedItem[] {
  const scores = new Map<number, number>();
  for (const list of lists) {
    list.forEach((key, index) => scores.set(key, (scores.get(key) ?? 0) + 1 / (k + index + 1)));
  }
  const best = lists.length / (k + 1);
  return [...scores.entries()]
    .map(([key, score]) => ({ key, score: best > 0 ? score / best : 0 }))
    .sort((a, b) => b.score - a.score);
}
