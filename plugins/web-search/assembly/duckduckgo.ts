/**
 * DuckDuckGo's HTML endpoint, no key: `POST {url}/html/` with the form its own page submits
 * (`q`, and `kl` region, `kp` safe search, `df` time), then the results read from the page.
 */
import { http, HttpReply, JsonValue, QueryBuilder, truncateChars } from "@shimmy/plugin-sdk/assembly";
import { excerpt, htmlText, replyError, SearchOutcome, SearchRequest } from "./common";
import { parseResults } from "./ddg-html";

const PROVIDER = "DuckDuckGo";
const OTHER_PROVIDER = "wait a few minutes, or pick another provider (shimmy plugin config web-search provider=brave or tavily, with a key)";

// DuckDuckGo's regions are `country-language`, with its own country codes for a few.
const LANGUAGE_REGIONS: Array<string> = ["en", "us-en", "ja", "jp-jp", "sv", "se-sv", "da", "dk-da", "zh", "cn-zh", "ko", "kr-kr", "cs", "cz-cs", "el", "gr-el", "uk", "ua-uk", "et", "ee-et"];

/** A language code as a DuckDuckGo region (`de-CH` is `ch-de`, `en-GB` is `uk-en`, `fr` is `fr-fr`), or null for auto. */
function region(language: string): string | null {
  const code = language.toLowerCase();
  if (code == "auto" || code.length < 2) return null;
  const dash = code.indexOf("-");
  if (dash > 0) {
    let country = code.substring(dash + 1);
    if (country == "gb") country = "uk";
    return country + "-" + code.substring(0, dash);
  }
  const known = LANGUAGE_REGIONS.indexOf(code);
  if (known >= 0 && known % 2 == 0) return LANGUAGE_REGIONS[known + 1];
  return code + "-" + code;
}

/** Searches DuckDuckGo through its HTML page. */
export function searchDuckDuckGo(req: SearchRequest): SearchOutcome {
  const form = new QueryBuilder().add("q", req.query).add("b", "");
  const kl = region(req.language);
  if (kl !== null) form.add("kl", kl);
  // kp: 1 strict, -1 moderate, -2 off.
  if (req.safesearch >= 0) form.add("kp", req.safesearch == 0 ? "-2" : req.safesearch == 1 ? "-1" : "1");
  const timeRange = req.timeRange;
  if (timeRange !== null && timeRange.length > 0) form.add("df", timeRange.charAt(0)); // d, w, m or y

  const headers = JsonValue.makeObject()
    .setString("Content-Type", "application/x-www-form-urlencoded")
    .setString("Accept", "text/html");
  const reply = HttpReply.from(http("POST", req.base + "/html/", headers, form.toString()));
  if (reply.error === null && (reply.status == 403 || reply.status == 429)) {
    return SearchOutcome.failed(PROVIDER + " refused the search (HTTP " + reply.status.toString() + "), as it does when it sees many automated ones; " + OTHER_PROVIDER);
  }
  const failed = replyError(reply, PROVIDER);
  if (failed !== null) return SearchOutcome.failed(failed);
  const body = reply.body;
  if (body === null) return SearchOutcome.failed("the answer from " + PROVIDER + " is not UTF-8 text");

  const outcome = new SearchOutcome();
  const page = parseResults(body, req.maxResults, outcome);
  if (page.links > 0) return outcome;
  if (body.includes("no-results") || body.includes("No results.")) return outcome;
  // 202 with a bot check ("anomaly") instead of results is how DuckDuckGo rate-limits.
  if (reply.status == 202 || body.includes("anomaly") || body.includes("challenge-form")) {
    return SearchOutcome.failed(PROVIDER + " answered with a bot check instead of results (HTTP " + reply.status.toString() + "); " + OTHER_PROVIDER);
  }
  // The page's text, not its markup, says what it is (only its head is read: it can be megabytes).
  return SearchOutcome.failed(PROVIDER + "'s page has no results this plugin can read (has its HTML changed?): " + excerpt(htmlText(truncateChars(body, 4000))));
}
