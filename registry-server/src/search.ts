/**
 * `GET /-/v1/search` as a pure function: npm's response shape (`objects`, `total`, `time`) over
 * the package records, plus each plugin's capability kinds and permissions so a client can show
 * what a plugin is and reaches before installing it.
 */
import { scopeOf } from "./names.js";
import { latestVersion } from "./resolve.js";
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

/** How well one package matches every term; 0 when a term matches nothing. */
function relevance(name: string, description: string, keywords: string[], author: string, terms: string[]): number {
  let score = 0;
  for (const term of terms) {
    let best = 0;
    if (term.startsWith("keywords:")) {
      const wanted = term.slice("keywords:".length).split(",").filter(Boolean);
      best = wanted.some((k) => keywords.includes(k)) ? 1 : 0;
    } else if (term.startsWith("author:") || term.startsWith("maintainer:")) {
      best = author === term.slice(term.indexOf(":") + 1) ? 1 : 0;
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

/** Searches `records`; links point at `baseUrl`. Ranked by relevance, then name. */
export function searchPackages(records: Iterable<PackageRecord>, query: SearchQuery, baseUrl: string, now = new Date()): SearchResult {
  const terms = query.text.toLowerCase().split(/\s+/).filter(Boolean);
  const size = Math.min(Math.max(query.size ?? 20, 0), 250);
  const from = Math.max(query.from ?? 0, 0);
  const hits: SearchObject[] = [];
  for (const record of records) {
    const latest = latestVersion(record);
    if (!latest) continue;
    const description = typeof latest.packageJson.description === "string" ? latest.packageJson.description : "";
    const keywords = strings(latest.packageJson.keywords);
    const score = relevance(record.name.toLowerCase(), description.toLowerCase(), keywords.map((k) => k.toLowerCase()), record.owner, terms);
    if (score === 0) continue;
    const capabilities = Array.isArray(latest.plugin.capabilities) ? latest.plugin.capabilities.map((c: { kind?: unknown }) => String(c.kind)) : [];
    hits.push({
      package: {
        name: record.name,
        scope: scopeOf(record.name) ?? "unscoped",
        version: String(latest.packageJson.version),
        ...(description ? { description } : {}),
        keywords,
        date: latest.publishedAt,
        links: { npm: `${baseUrl}/${record.name}` },
        publisher: { username: latest.publisher },
        maintainers: [{ username: record.owner }],
        capabilities: [...new Set(capabilities)],
        permissions: (latest.plugin.permissions as Record<string, unknown> | undefined) ?? {},
      },
      score: { final: 1, detail: { quality: 1, popularity: 1, maintenance: 1 } },
      searchScore: score,
      ...(latest.deprecated ? { flags: { deprecated: latest.deprecated } } : {}),
    });
  }
  hits.sort((a, b) => b.searchScore - a.searchScore || a.package.name.localeCompare(b.package.name));
  const top = hits[0]?.searchScore ?? 1;
  for (const hit of hits) hit.score.final = Math.round((hit.searchScore / top) * 1000) / 1000;
  return { objects: hits.slice(from, from + size), total: hits.length, time: now.toUTCString() };
}
