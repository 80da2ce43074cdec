/**
 * Tavily: `POST {url}/search` with a JSON body and the key as `Authorization: Bearer`; results from
 * `results[]` (`title`, `url`, `content`), and `answer` as a direct answer when Tavily gives one.
 */
import { http, HttpReply, JsonValue, parseJson } from "@shimmy/plugin-sdk/assembly";
import { excerpt, replyError, SearchOutcome, SearchRequest } from "./common";

const PROVIDER = "Tavily";
const KEY_HINT = "get a key at https://app.tavily.com, then: shimmy plugin config web-search tavily_api_key=tvly-…";

/** Searches with Tavily. */
export function searchTavily(req: SearchRequest): SearchOutcome {
  const key = req.key;
  if (key === null) return SearchOutcome.failed("Tavily needs an API key: " + KEY_HINT);
  // The key goes in the header, not the body's legacy api_key field, so a logged body never holds it.
  const request = JsonValue.makeObject()
    .setString("query", req.query)
    .setInteger("max_results", req.maxResults)
    .setString("search_depth", "basic");
  const timeRange = req.timeRange;
  if (timeRange !== null) request.setString("time_range", timeRange);
  const headers = JsonValue.makeObject()
    .setString("Content-Type", "application/json")
    .setString("Accept", "application/json")
    .setString("Authorization", "Bearer " + key);
  const reply = HttpReply.from(http("POST", req.base + "/search", headers, request.stringify()));
  if (reply.error === null && (reply.status == 401 || reply.status == 403)) {
    return SearchOutcome.failed(PROVIDER + " refused the API key (HTTP " + reply.status.toString() + "): " + KEY_HINT);
  }
  if (reply.error === null && (reply.status == 429 || reply.status == 432 || reply.status == 433)) {
    // 432 and 433: the plan's or the pay-as-you-go credit limit is reached.
    return SearchOutcome.failed(PROVIDER + " answered HTTP " + reply.status.toString() + ": the rate or credit limit of the key is reached; wait, or pick another provider");
  }
  const failed = replyError(reply, PROVIDER);
  if (failed !== null) return SearchOutcome.failed(failed);
  const body = reply.body;
  const json = body !== null ? parseJson(body).value : null;
  if (json === null || !json.isObject()) return SearchOutcome.failed("the answer from " + PROVIDER + " is not a JSON object: " + excerpt(body));
  const results = json.getArray("results");
  if (results === null) return SearchOutcome.failed("the answer from " + PROVIDER + ' is JSON without a "results" array: ' + excerpt(body));

  const outcome = new SearchOutcome();
  outcome.addAll(results, req.maxResults, "content", false);
  const answer = json.getString("answer");
  if (answer !== null) outcome.addAnswer(answer);
  return outcome;
}
