/**
 * One field of a run of search entries (their names, say, or every keyword of each), joined into
 * one flat string with the bounds of each item beside it, so that finding a term in all of them is
 * a few `indexOf` passes over contiguous memory. Reading each entry's own strings instead costs
 * one pointer chase per string, and after thousands of publishes those strings lie scattered
 * over the heap in publish order: the same scan ran 2 to 3 times slower than in a restarted
 * process (issue 19).
 */

/** The items of one field, entry by entry: `items[e]` are entry `e`'s strings (none, one or several). */
export type ColumnItems = readonly (readonly string[])[];

/** A field of a run of entries as one flat string; entries are numbered by their place in the run. */
export class TextColumn {
  /** Every item, in entry order, joined: `join` makes one flat sequential string. */
  private readonly text: string;
  /** Item `k` is `text.slice(starts[k], starts[k + 1])`. */
  private readonly starts: Int32Array;
  /** The entry item `k` belongs to. */
  private readonly entryOf: Int32Array;

  constructor(items: ColumnItems) {
    const flat: string[] = [];
    const entries: number[] = [];
    items.forEach((own, entry) => {
      for (const item of own) {
        flat.push(item);
        entries.push(entry);
      }
    });
    this.starts = new Int32Array(flat.length + 1);
    let at = 0;
    flat.forEach((item, k) => {
      this.starts[k] = at;
      at += item.length;
    });
    this.starts[flat.length] = at;
    this.entryOf = Int32Array.from(entries);
    this.text = flat.join("");
  }

  /**
   * For each entry with an item that contains `term`, raises `best[entry]` to `exactScore` when
   * some such item equals `term`, else to `partScore` (pass 0 to count equal items only): the
   * same answers as `item === term` and `item.includes(term)` over each item, never a match that
   * runs from one item into the next.
   */
  mark(term: string, best: Float64Array, partScore: number, exactScore: number): void {
    const { text, starts, entryOf } = this;
    const items = entryOf.length;
    if (term.length === 0) {
      // Every item includes "": exact for the empty ones. (`indexOf("")` would never move on.)
      for (let k = 0; k < items; k += 1) raise(best, entryOf[k]!, starts[k] === starts[k + 1] ? exactScore : partScore);
      return;
    }
    let k = 0;
    let at = text.indexOf(term);
    while (at !== -1) {
      k = itemAt(starts, at, k, items);
      const end = starts[k + 1]!;
      if (at + term.length > end) {
        at = text.indexOf(term, at + 1); // runs into the next item: not a match of either
        continue;
      }
      raise(best, entryOf[k]!, at === starts[k] && at + term.length === end ? exactScore : partScore);
      at = text.indexOf(term, end); // the entry's next item may still be an equal one
    }
  }
}

function raise(best: Float64Array, entry: number, score: number): void {
  if (score > best[entry]!) best[entry] = score;
}

/** The item holding position `at` (the last one starting at or before it), searching from item `from`. */
function itemAt(starts: Int32Array, at: number, from: number, items: number): number {
  let low = from;
  let high = items; // starts[items] is the end of the text, past any match
  while (low < high) {
    const mid = (low + high + 1) >>> 1;
    if (starts[mid]! <= at) low = mid;
    else high = mid - 1;
  }
  return low;
}
