/**
 * A run of consecutive search entries (in name order) and the {@link TextColumn}s a query scans
 * instead of the entries themselves. A change marks the block; its columns are rebuilt at the next
 * query, so a publish costs one block's worth of string joining, and a query's memory reads do not
 * depend on when or in what order the packages were published.
 */
import { TextColumn } from "./text-column.js";
import type { PackageRecord, VersionRecord } from "./storage/storage.js";

/** What a query reads of one package, made once per publish rather than once per query. */
export interface SearchEntry {
  record: PackageRecord;
  latest: VersionRecord;
  description: string;
  keywords: string[];
  /** Lowercased: what terms are compared with. */
  lower: { name: string; description: string; keywords: string[] };
}

/**
 * One word of a query: text matched in names, keywords and descriptions; `keywords:a,b` (any of
 * them, exactly); `author:NAME` or `maintainer:NAME` (the owner, exactly).
 */
export type QueryTerm = { kind: "text"; text: string } | { kind: "keywords"; wanted: string[] } | { kind: "owner"; owner: string };

/** The words of a query's text, lowercased and read once. */
export function queryTerms(text: string): QueryTerm[] {
  return text
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean)
    .map((term): QueryTerm => {
      if (term.startsWith("keywords:")) return { kind: "keywords", wanted: term.slice("keywords:".length).split(",").filter(Boolean) };
      if (term.startsWith("author:") || term.startsWith("maintainer:")) return { kind: "owner", owner: term.slice(term.indexOf(":") + 1) };
      return { kind: "text", text: term };
    });
}

/** How many entries a block holds before it splits in two. */
export const MAX_BLOCK_ENTRIES = 512;

/** Per-entry scratch of one query, sized for the largest block and reused block after block. */
export interface ScoreScratch {
  /** The entry's score so far; -1 once a term matched nothing. */
  total: Float64Array;
  /** The current term's score. */
  best: Float64Array;
}

/** A fresh {@link ScoreScratch} for one query. */
export function scoreScratch(): ScoreScratch {
  return { total: new Float64Array(MAX_BLOCK_ENTRIES), best: new Float64Array(MAX_BLOCK_ENTRIES) };
}

interface BlockColumns {
  name: TextColumn;
  keywords: TextColumn;
  description: TextColumn;
  owner: TextColumn;
}

/** Consecutive entries in name order, with the columns their queries scan. */
export class SearchBlock {
  /** Kept in name order by the index, which calls {@link changed} after each change. */
  readonly entries: SearchEntry[];
  private columns: BlockColumns | null = null;

  constructor(entries: SearchEntry[]) {
    this.entries = entries;
  }

  /** Drops the columns: `entries` changed. */
  changed(): void {
    this.columns = null;
  }

  /** Moves the upper half of the entries into a new block, which it returns. */
  split(): SearchBlock {
    this.changed();
    return new SearchBlock(this.entries.splice(this.entries.length >>> 1));
  }

  /**
   * Appends each entry that matches every term to `hits`, with its score to `scores`, in the
   * block's order. Scores as ever: per word, an equal name 4, a name containing it 2, an equal
   * keyword 1.5, a keyword containing it 1, a description containing it 0.5 (the best of these),
   * `keywords:` and `author:` 1; summed over the words; 1 for every entry when there are none.
   */
  collect(terms: readonly QueryTerm[], scratch: ScoreScratch, hits: SearchEntry[], scores: number[]): void {
    const count = this.entries.length;
    if (terms.length === 0) {
      for (const entry of this.entries) {
        hits.push(entry);
        scores.push(1);
      }
      return;
    }
    const columns = (this.columns ??= this.build());
    const { total, best } = scratch;
    total.fill(0, 0, count);
    let alive = count;
    for (const term of terms) {
      best.fill(0, 0, count);
      if (term.kind === "keywords") for (const keyword of term.wanted) columns.keywords.mark(keyword, best, 0, 1);
      else if (term.kind === "owner") columns.owner.mark(term.owner, best, 0, 1);
      else {
        columns.name.mark(term.text, best, 2, 4);
        columns.keywords.mark(term.text, best, 1, 1.5);
        columns.description.mark(term.text, best, 0.5, 0.5);
      }
      for (let e = 0; e < count; e += 1) {
        if (total[e]! < 0) continue;
        if (best[e] === 0) {
          total[e] = -1;
          alive -= 1;
        } else total[e] = total[e]! + best[e]!;
      }
      if (alive === 0) return;
    }
    for (let e = 0; e < count; e += 1) {
      if (total[e]! > 0) {
        hits.push(this.entries[e]!);
        scores.push(total[e]!);
      }
    }
  }

  private build(): BlockColumns {
    return {
      name: new TextColumn(this.entries.map((e) => [e.lower.name])),
      keywords: new TextColumn(this.entries.map((e) => e.lower.keywords)),
      description: new TextColumn(this.entries.map((e) => [e.lower.description])),
      owner: new TextColumn(this.entries.map((e) => [e.record.owner])),
    };
  }
}
