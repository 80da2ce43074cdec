/**
 * web-search: searches the web through the provider the user picked (`provider` config) and returns
 * titles, links and snippets in one shape whichever it is.
 *
 * The plugin's only network grant is `{config.url}`. The manifest's config schema gives `url` a
 * default per provider (the provider's public origin), and the host fills in schema defaults both for
 * the grants and for the permissions the user approves, so picking a provider grants its origin and
 * nothing else; a `url` the user sets (their SearXNG, a proxy, a test server) replaces it.
 */
import { config, configInteger, fail, inputJson, JsonValue, ok } from "@shimmy/plugin-sdk/assembly";
import { searchBrave } from "./brave";
import { SearchOutcome, SearchRequest } from "./common";
import { searchDuckDuckGo } from "./duckduckgo";
import { searchSearxng } from "./searxng";
import { searchTavily } from "./tavily";

const DEFAULT_MAX_RESULTS: i32 = 5;
const MAX_RESULTS: i32 = 20;
const PROVIDERS = "duckduckgo, brave, tavily or searxng";
const SEARXNG_HINT = "set it with: shimmy plugin config web-search url=http://127.0.0.1:8888";

/** A config value trimmed, or null when unset or blank. */
function configValue(key: string): string | null {
  const value = config(key);
  if (value === null) return null;
  const trimmed = value.trim();
  return trimmed.length > 0 ? trimmed : null;
}

/**
 * The provider's public endpoint, used when `url` is unset. The manifest's schema gives the same
 * defaults (and the host applies them); this covers a host that does not.
 */
function publicUrl(provider: string): string | null {
  if (provider == "duckduckgo") return "https://html.duckduckgo.com";
  if (provider == "brave") return "https://api.search.brave.com";
  if (provider == "tavily") return "https://api.tavily.com";
  return null;
}

/**
 * Tool `search`: `{query, max_results?, language?, time_range?, categories?}` →
 * `{query, results: [{title, url, snippet}], answers?}`.
 */
export function search(): i32 {
  const parsed = inputJson();
  const input = parsed.value;
  if (input === null || !input.isObject()) return fail("input must be a JSON object: " + parsed.error);
  const query = input.getString("query");
  if (query === null || query.trim().length == 0) return fail('"query" must be a non-empty string');

  const configured = configValue("url");
  let provider = configValue("provider");
  // A 1.0 config has only the SearXNG url: it keeps meaning SearXNG (the schema says the same).
  if (provider === null) provider = configured !== null ? "searxng" : "duckduckgo";
  const fallback = publicUrl(provider!);
  if (fallback === null && provider != "searxng") return fail("unknown provider " + provider! + "; pick " + PROVIDERS + ": shimmy plugin config web-search provider=…");
  let base = configured !== null ? configured : fallback;
  if (base === null) return fail("the SearXNG URL is not configured; " + SEARXNG_HINT);
  const hint = provider == "searxng" ? SEARXNG_HINT : "or unset it (url=) to use " + provider! + "'s public API";
  if (!base.startsWith("http://") && !base.startsWith("https://")) {
    return fail("the configured url " + base + " is not an http(s) URL; " + hint);
  }
  if (base.includes("?") || base.includes("#")) {
    return fail("the configured url " + base + " must be a base URL without ? or #; " + hint);
  }
  while (base.endsWith("/")) base = base.substring(0, base.length - 1);

  const req = new SearchRequest();
  req.query = query;
  req.base = base;
  req.maxResults = <i32>input.getIntegerClamped("max_results", DEFAULT_MAX_RESULTS, 1, MAX_RESULTS);
  let language = input.getString("language");
  if (language === null) language = configValue("language");
  req.language = language !== null && language.trim().length > 0 ? language.trim() : "auto";
  const safesearch = configInteger("safesearch", -1);
  req.safesearch = safesearch >= 0 && safesearch <= 2 ? <i32>safesearch : -1;
  req.timeRange = input.getString("time_range");
  req.categories = input.getString("categories");

  let outcome: SearchOutcome;
  if (provider == "searxng") outcome = searchSearxng(req);
  else if (provider == "brave") {
    req.key = configValue("brave_api_key");
    outcome = searchBrave(req);
  } else if (provider == "tavily") {
    req.key = configValue("tavily_api_key");
    outcome = searchTavily(req);
  } else outcome = searchDuckDuckGo(req);

  const error = outcome.error;
  if (error !== null) return fail(error);
  const result = JsonValue.makeObject().setString("query", query).set("results", outcome.results);
  const answers = outcome.answers;
  if (answers !== null) result.set("answers", answers);
  return ok(result);
}
