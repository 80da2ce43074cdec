/**
 * `GET /-/v1/search`: npm's response shape (`objects`, `total`, `time`) over the package records,
 * plus each plugin's capability kinds and permissions so a client can show what a plugin is and
 * reaches before installing it. A {@link SearchIndex} keeps what a query compares (lowercased
 * name, description, keywords) per package, updated at each publish, in name order: a query is
 * one pass of plain string tests, and only the page it returns is built into response objects.
 */
import { scopeOf } from "./names.js";
import { latestVersion } from "./resolve.js";
import type { PackageRecord, VersionRecord } from "./storage/storage.js";

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

/** What a query reads of one package, made once per publish rather than once per query. */
interface SearchEntry {
  record: PackageRecord;
  latest: VersionRecord;
  description: string;
  keywords: string[];
  /** Lowercased: what terms are compared with. */
  lower: { name: string; description: string; keywords: string[] };
}

function entryOf(record: PackageRecord): SearchEntry | null {
  const latest = latestVersion(record);
  if (!latest) return null;
  const description = typeof latest.packageJson.description === "string" ? latest.packageJson.description : "";
  const keywords = strings(latest.packageJson.keywords);
  return { record, latest, description, keywords, lower: { name: record.name.toLowerCase(), description: description.toLowerCase(), keywords: keywords.map((k) => k.toLowerCase()) } };
}

/** How well one package matches every term; 0 when a term matches nothing. */
function relevance(entry: SearchEntry, terms: string[]): number {
  const { name, description, keywords } = entry.lower;
  let score = 0;
  for (const term of terms) {
    let best = 0;
    if (term.startsWith("keywords:")) {
      const wanted = term.slice("keywords:".length).split(",").filter(Boolean);
      best = wanted.some((k) => keywords.includes(k)) ? 1 : 0;
    } else if (term.startsWith("author:") || term.startsWith("maintainer:")) {
      best = entry.record.owner === term.slice(term.indexOf(":") + 1) ? 1 : 0;
    } else if (name === term) best = 4;
    else if (name.includes(term)) best = 2;
    else if (keywords.includes(term)) best = 1.5;
    else if (keywords.some((k) => k.includes(term))) best = 1;
    else if (description.includes(term)) best = 0.5;
    if (best === 0) return 0;
    score += best;
  }
  return terms.length === 0 ? 1 : score;
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

/** Every package's search entry, in name order; {@link SearchIndex.set} after each change of a record. */
export class SearchIndex {
  private readonly entries: SearchEntry[] = [];

  /** Adds `record`, or replaces the entry of its name (a publish or a deprecation changed it). */
  set(record: PackageRecord): void {
    const entry = entryOf(record);
    let low = 0;
    let high = this.entries.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (byName(this.entries[mid]!.record.name, record.name) < 0) low = mid + 1;
      else high = mid;
    }
    const found = this.entries[low]?.record.name === record.name;
    if (entry) this.entries.splice(low, found ? 1 : 0, entry);
    else if (found) this.entries.splice(low, 1);
  }

  /** Searches every package; links point at `baseUrl`. Ranked by relevance, then name. */
  search(query: SearchQuery, baseUrl: string, now = new Date()): SearchResult {
    const terms = query.text.toLowerCase().split(/\s+/).filter(Boolean);
    const size = Math.min(Math.max(query.size ?? 20, 0), 250);
    const from = Math.max(query.from ?? 0, 0);
    const hits: { entry: SearchEntry; score: number }[] = [];
    for (const entry of this.entries) {
      const score = relevance(entry, terms);
      if (score > 0) hits.push({ entry, score });
    }
    // A stable sort of entries already in name order: ties stay by name.
    hits.sort((a, b) => b.score - a.score);
    const top = hits[0]?.score ?? 1;
    return { objects: hits.slice(from, from + size).map((hit) => searchObject(hit.entry, hit.score, top, baseUrl)), total: hits.length, time: now.toUTCString() };
  }
}

/** Searches `records` once (a {@link SearchIndex} serves repeated queries); links point at `baseUrl`. */
export function searchPackages(records: Iterable<PackageRecord>, query: SearchQuery, baseUrl: string, now = new Date()): SearchResult {
  const index = new SearchIndex();
  for (const record of records) index.set(record);
  return index.search(query, baseUrl, now);
}
