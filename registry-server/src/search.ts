/**
 * `GET /-/v1/search`: npm's response shape (`objects`, `total`, `time`) over the package records,
 * plus each plugin's capability kinds and permissions so a client can show what a plugin is and
 * reaches before installing it. A {@link SearchIndex} keeps what a query compares (lowercased
 * name, description, keywords, owner) per package, updated at each publish, in name order and cut
 * into {@link SearchBlock}s whose fields are scanned as flat strings: a query is a few `indexOf`
 * passes per block, and only the page it returns is built into response objects.
 */
import { scopeOf } from "./names.js";
import { latestVersion } from "./resolve.js";
import { MAX_BLOCK_ENTRIES, queryTerms, SearchBlock, scoreScratch, type SearchEntry } from "./search-block.js";
import type { PackageRecord } from "./storage/storage.js";

/** The query: `text` (words; `keywords:a,b` and `author:NAME` as npm's qualifiers), and paging. */
export interface SearchQuery {
  text: string;
  /** @default 20, at most 250 (npm's cap) */
  size?: number;
  /** @default 0 */
  from?: number;
}

/** One result, in npm's shape. */
export interface SearchObject {
  package: {
    name: string;
    scope: string;
    version: string;
    description?: string;
    keywords: string[];
    date: string;
    links: { npm: string };
    publisher: { username: string };
    maintainers: { username: string }[];
    /** The plugin's capability kinds (`tool`, `step`, `router`, `embedder`), each once. */
    capabilities: string[];
    /** The manifest's `permissions`, `{}` when it asks for none. */
    permissions: Record<string, unknown>;
  };
  score: { final: number; detail: { quality: number; popularity: number; maintenance: number } };
  searchScore: number;
  flags?: { deprecated?: string };
}

/** npm's search response. */
export interface SearchResult {
  objects: SearchObject[];
  total: number;
  time: string;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

function entryOf(record: PackageRecord): SearchEntry | null {
  const latest = latestVersion(record);
  if (!latest) return null;
  const description = typeof latest.packageJson.description === "string" ? latest.packageJson.description : "";
  const keywords = strings(latest.packageJson.keywords);
  return { record, latest, description, keywords, lower: { name: record.name.toLowerCase(), description: description.toLowerCase(), keywords: keywords.map((k) => k.toLowerCase()) } };
}

function searchObject(entry: SearchEntry, score: number, top: number, baseUrl: string): SearchObject {
  const { record, latest } = entry;
  const capabilities = Array.isArray(latest.plugin.capabilities) ? latest.plugin.capabilities.map((c: { kind?: unknown }) => String(c.kind)) : [];
  return {
    package: {
      name: record.name,
      scope: scopeOf(record.name) ?? "unscoped",
      version: String(latest.packageJson.version),
      ...(entry.description ? { description: entry.description } : {}),
      keywords: entry.keywords,
      date: latest.publishedAt,
      links: { npm: `${baseUrl}/${record.name}` },
      publisher: { username: latest.publisher },
      maintainers: [{ username: record.owner }],
      capabilities: [...new Set(capabilities)],
      permissions: (latest.plugin.permissions as Record<string, unknown> | undefined) ?? {},
    },
    score: { final: Math.round((score / top) * 1000) / 1000, detail: { quality: 1, popularity: 1, maintenance: 1 } },
    searchScore: score,
    ...(latest.deprecated ? { flags: { deprecated: latest.deprecated } } : {}),
  };
}

/** Code-unit order: npm names are lowercase ASCII, and `localeCompare` cost most of a query. */
const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Positions of `scores` from the highest score to the lowest, equal scores in their order: what a
 * stable sort gives, in linear time, since a query's scores take few distinct values.
 */
function rankOrder(scores: readonly number[]): Int32Array {
  const distinct = [...new Set(scores)].sort((a, b) => b - a);
  const rank = new Map(distinct.map((score, r) => [score, r]));
  const next = new Int32Array(distinct.length + 1); // first position of each rank, then a cursor
  for (const score of scores) next[rank.get(score)! + 1]! += 1;
  for (let r = 1; r <= distinct.length; r += 1) next[r]! += next[r - 1]!;
  const order = new Int32Array(scores.length);
  scores.forEach((score, i) => {
    order[next[rank.get(score)!]!++] = i;
  });
  return order;
}

/** Every package's search entry, in name order; {@link SearchIndex.set} after each change of a record. */
export class SearchIndex {
  /** Consecutive runs of entries in name order: each block's names come before the next block's. */
  private readonly blocks: SearchBlock[] = [];

  /** Adds `record`, or replaces the entry of its name (a publish or a deprecation changed it). */
  set(record: PackageRecord): void {
    const entry = entryOf(record);
    // The first block whose last name is not before `record.name`, else the last block.
    let low = 0;
    let high = this.blocks.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const entries = this.blocks[mid]!.entries;
      if (byName(entries[entries.length - 1]!.record.name, record.name) < 0) low = mid + 1;
      else high = mid;
    }
    const b = Math.min(low, this.blocks.length - 1);
    const block = this.blocks[b];
    if (!block) {
      if (entry) this.blocks.push(new SearchBlock([entry]));
      return;
    }
    const entries = block.entries;
    low = 0;
    high = entries.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (byName(entries[mid]!.record.name, record.name) < 0) low = mid + 1;
      else high = mid;
    }
    const found = entries[low]?.record.name === record.name;
    if (entry) entries.splice(low, found ? 1 : 0, entry);
    else if (found) entries.splice(low, 1);
    else return;
    block.changed();
    if (entries.length === 0) this.blocks.splice(b, 1);
    else if (entries.length > MAX_BLOCK_ENTRIES) this.blocks.splice(b + 1, 0, block.split());
  }

  /** Searches every package; links point at `baseUrl`. Ranked by relevance, then name. */
  search(query: SearchQuery, baseUrl: string, now = new Date()): SearchResult {
    const terms = queryTerms(query.text);
    const size = Math.min(Math.max(query.size ?? 20, 0), 250);
    const from = Math.max(query.from ?? 0, 0);
    const hits: SearchEntry[] = [];
    const scores: number[] = [];
    const scratch = scoreScratch();
    for (const block of this.blocks) block.collect(terms, scratch, hits, scores);
    // Hits come in name order, so ranking by score alone keeps ties by name.
    const order = rankOrder(scores);
    const top = order.length > 0 ? scores[order[0]!]! : 1;
    const page = Array.from(order.subarray(from, from + size), (i) => searchObject(hits[i]!, scores[i]!, top, baseUrl));
    return { objects: page, total: hits.length, time: now.toUTCString() };
  }
}

/** Searches `records` once (a {@link SearchIndex} serves repeated queries); links point at `baseUrl`. */
export function searchPackages(records: Iterable<PackageRecord>, query: SearchQuery, baseUrl: string, now = new Date()): SearchResult {
  const index = new SearchIndex();
  for (const record of records) index.set(record);
  return index.search(query, baseUrl, now);
}
