/**
 * Brave Search API: `GET {url}/res/v1/web/search?q=…&count=…` with the key in `X-Subscription-Token`;
 * results from `web.results[]` (`title`, `url`, `description` with `<strong>` marks).
 */
import { http, HttpReply, JsonValue, parseJson, QueryBuilder } from "@shimmy/plugin-sdk/assembly";
import { excerpt, replyError, SearchOutcome, SearchRequest } from "./common";

const PROVIDER = "Brave Search";
const KEY_HINT = "get a key at https://api-dash.search.brave.com, then: shimmy plugin config web-search brave_api_key=…";

// Brave refuses (HTTP 422) a search_lang outside its list, so anything else is left out.
const LANGUAGES: Array<string> = [
  "ar", "eu", "bn", "bg", "ca", "zh-hans", "zh-hant", "hr", "cs", "da", "nl", "en", "en-gb", "et", "fi",
  "fr", "gl", "de", "gu", "he", "hi", "hu", "is", "it", "jp", "kn", "ko", "lv", "lt", "ms", "ml", "mr",
  "nb", "pl", "pt-br", "pt-pt", "pa", "ro", "ru", "sr", "sk", "sl", "es", "sv", "ta", "te", "th", "tr",
  "uk", "vi",
];

/** A language code as Brave's `search_lang` spells it (`ja` is `jp`, `zh-TW` is `zh-hant`), or null. */
function searchLang(language: string): string | null {
  const code = language.toLowerCase();
  if (LANGUAGES.includes(code)) return code;
  if (code == "zh" || code == "zh-cn" || code == "zh-sg") return "zh-hans";
  if (code == "zh-tw" || code == "zh-hk") return "zh-hant";
  const dash = code.indexOf("-");
  const primary = dash > 0 ? code.substring(0, dash) : code;
  if (primary == "ja") return "jp";
  if (primary == "no" || primary == "nn") return "nb";
  return LANGUAGES.includes(primary) ? primary : null;
}

/** `time_range` as Brave's `freshness`: past day, week, month or year. */
function freshness(timeRange: string): string | null {
  if (timeRange == "day") return "pd";
  if (timeRange == "week") return "pw";
  if (timeRange == "month") return "pm";
  if (timeRange == "year") return "py";
  return null;
}

/** Searches Brave's web index. */
export function searchBrave(req: SearchRequest): SearchOutcome {
  const key = req.key;
  if (key === null) return SearchOutcome.failed("Brave Search needs an API key: " + KEY_HINT);
  // count is capped at 20 by Brave, as max_results is.
  const params = new QueryBuilder().add("q", req.query).add("count", req.maxResults.toString());
  if (req.language != "auto") {
    const lang = searchLang(req.language);
    if (lang !== null) params.add("search_lang", lang);
  }
  if (req.safesearch >= 0) params.add("safesearch", req.safesearch == 0 ? "off" : req.safesearch == 1 ? "moderate" : "strict");
  const timeRange = req.timeRange;
  if (timeRange !== null) {
    const fresh = freshness(timeRange);
    if (fresh !== null) params.add("freshness", fresh);
  }

  const headers = JsonValue.makeObject().setString("Accept", "application/json").setString("X-Subscription-Token", key);
  const reply = HttpReply.from(http("GET", req.base + "/res/v1/web/search?" + params.toString(), headers));
  if (reply.error === null && (reply.status == 401 || reply.status == 403)) {
    return SearchOutcome.failed(PROVIDER + " refused the API key (HTTP " + reply.status.toString() + "): " + KEY_HINT);
  }
  if (reply.error === null && reply.status == 429) {
    return SearchOutcome.failed(PROVIDER + " says too many requests (HTTP 429): the plan's rate or monthly quota is used up; wait, or pick another provider");
  }
  const failed = replyError(reply, PROVIDER);
  if (failed !== null) return SearchOutcome.failed(failed);
  const body = reply.body;
  const json = body !== null ? parseJson(body).value : null;
  if (json === null || !json.isObject()) return SearchOutcome.failed("the answer from " + PROVIDER + " is not a JSON object: " + excerpt(body));

  const outcome = new SearchOutcome();
  // No `web` section is how Brave says it found nothing.
  const web = json.getObject("web");
  const results = web !== null ? web.getArray("results") : null;
  if (results === null) return outcome;
  outcome.addAll(results, req.maxResults, "description", true);
  return outcome;
}
