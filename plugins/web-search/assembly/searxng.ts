/**
 * SearXNG, the user's own instance: `GET {url}/search?q=…&format=json`, results and answers from its
 * JSON API. Snippets are passed on as SearXNG gives them (already plain text for most engines).
 */
import { http, HttpReply, JsonValue, parseJson, QueryBuilder } from "@shimmy/plugin-sdk/assembly";
import { excerpt, replyError, SearchOutcome, SearchRequest } from "./common";

/** SearXNG's `answers` array: strings in older versions, `{answer, url}` objects in newer ones. */
function addAnswers(outcome: SearchOutcome, answers: JsonValue | null): void {
  if (answers === null) return;
  for (let i = 0; i < answers.length; i++) {
    const a = answers.at(i)!;
    if (a.isString()) outcome.addAnswer(a.str);
    else if (a.isObject()) {
      const text = a.getString("answer");
      if (text !== null) outcome.addAnswer(text);
    }
  }
}

/** Searches the SearXNG instance at `req.base`. */
export function searchSearxng(req: SearchRequest): SearchOutcome {
  const base = req.base;
  const params = new QueryBuilder().add("q", req.query).add("format", "json").add("language", req.language);
  if (req.safesearch >= 0) params.add("safesearch", req.safesearch.toString());
  const timeRange = req.timeRange;
  if (timeRange !== null) params.add("time_range", timeRange);
  const categories = req.categories;
  if (categories !== null) params.add("categories", categories);

  const headers = JsonValue.makeObject().setString("Accept", "application/json");
  const reply = HttpReply.from(http("GET", base + "/search?" + params.toString(), headers));
  if (reply.error === null && reply.status == 403) {
    return SearchOutcome.failed(
      base + " refused format=json (HTTP 403): enable it in the instance's settings.yml, under search.formats add json (formats: [html, json]), then restart SearXNG",
    );
  }
  const failed = replyError(reply, base);
  if (failed !== null) return SearchOutcome.failed(failed);
  const body = reply.body;
  if (body === null) return SearchOutcome.failed("the answer from " + base + " is not JSON (it is not even UTF-8 text); is url the SearXNG base URL?");

  const json = parseJson(body);
  const answer = json.value;
  if (answer === null) {
    return SearchOutcome.failed("the answer from " + base + " is not JSON (" + json.error + "): " + excerpt(body) + "; is url the SearXNG base URL?");
  }
  const results = answer.getArray("results");
  if (results === null) {
    return SearchOutcome.failed("the answer from " + base + ' is JSON without a "results" array; is url the SearXNG base URL?');
  }
  const outcome = new SearchOutcome();
  outcome.addAll(results, req.maxResults, "content", false);
  addAnswers(outcome, answer.getArray("answers"));
  return outcome;
}
