/**
 * web-search: searches a SearXNG instance (its JSON API) and returns titles, links and snippets.
 *
 * The instance is the user's: its base URL is the `url` config, which is also the plugin's only
 * network grant (`{config.url}`), so the plugin can reach that server and nothing else.
 */
import {
  config,
  configInteger,
  fail,
  http,
  HttpReply,
  inputJson,
  JsonValue,
  ok,
  parseJson,
  QueryBuilder,
  truncateChars,
} from "@shimmy/plugin-sdk/assembly";

const DEFAULT_MAX_RESULTS: i32 = 5;
const MAX_RESULTS: i32 = 20;
const EXCERPT_CHARS: i32 = 200;
const CONFIG_HINT = "set it with: shimmy plugin config web-search url=http://127.0.0.1:8888";

/** A config value trimmed, or null when unset or blank. */
function configValue(key: string): string | null {
  const value = config(key);
  if (value === null) return null;
  const trimmed = value.trim();
  return trimmed.length > 0 ? trimmed : null;
}

function isSpace(c: i32): bool {
  return c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d;
}

/** The first characters of a body, whitespace collapsed onto one line, for error messages. */
function excerpt(body: string): string {
  const words = new Array<string>();
  let length = 0;
  let i = 0;
  const n = body.length;
  while (i < n && length <= EXCERPT_CHARS) {
    while (i < n && isSpace(body.charCodeAt(i))) i++;
    const start = i;
    while (i < n && !isSpace(body.charCodeAt(i))) i++;
    if (i > start) {
      words.push(body.substring(start, i));
      length += i - start + 1;
    }
  }
  const text = words.join(" ");
  if (text.length == 0) return "(empty body)";
  if (text.length <= EXCERPT_CHARS && i >= n) return text;
  return truncateChars(text, EXCERPT_CHARS) + "…";
}

/** SearXNG's `answers` array: strings in older versions, `{answer, url}` objects in newer ones. */
function mapAnswers(answers: JsonValue | null): JsonValue | null {
  if (answers === null) return null;
  const out = JsonValue.makeArray();
  for (let i = 0; i < answers.length; i++) {
    const a = answers.at(i)!;
    let text: string | null = null;
    if (a.isString()) text = a.str;
    else if (a.isObject()) text = a.getString("answer");
    if (text !== null && text.trim().length > 0) out.push(JsonValue.makeString(text));
  }
  return out.length > 0 ? out : null;
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

  let base = configValue("url");
  if (base === null) return fail("the SearXNG URL is not configured; " + CONFIG_HINT);
  if (!base.startsWith("http://") && !base.startsWith("https://")) {
    return fail("the configured url " + base + " is not an http(s) URL; " + CONFIG_HINT);
  }
  if (base.includes("?") || base.includes("#")) {
    return fail("the configured url " + base + " must be a base URL without ? or #; " + CONFIG_HINT);
  }
  while (base.endsWith("/")) base = base.substring(0, base.length - 1);

  const maxResults = <i32>input.getIntegerClamped("max_results", DEFAULT_MAX_RESULTS, 1, MAX_RESULTS);
  const params = new QueryBuilder().add("q", query).add("format", "json");
  let language = input.getString("language");
  if (language === null) language = configValue("language");
  params.add("language", language !== null ? language : "auto");
  const safesearch = configInteger("safesearch", -1);
  if (safesearch >= 0 && safesearch <= 2) params.add("safesearch", safesearch.toString());
  const timeRange = input.getString("time_range");
  if (timeRange !== null) params.add("time_range", timeRange);
  const categories = input.getString("categories");
  if (categories !== null) params.add("categories", categories);

  const url = base + "/search?" + params.toString();
  const headers = JsonValue.makeObject().setString("Accept", "application/json");
  const reply = HttpReply.from(http("GET", url, headers));
  const refused = reply.error;
  if (refused !== null) return fail("the request to " + base + " failed: " + refused);

  const status = reply.status;
  const bodyText = reply.body;
  const body = bodyText !== null ? bodyText : "";
  if (status == 403) {
    return fail(
      base + " refused format=json (HTTP 403): enable it in the instance's settings.yml, under search.formats add json (formats: [html, json]), then restart SearXNG",
    );
  }
  if (!reply.ok) {
    return fail(base + " answered HTTP " + status.toString() + ": " + excerpt(body));
  }
  if (bodyText === null) return fail("the answer from " + base + " is not JSON (it is not even UTF-8 text); is url the SearXNG base URL?");

  const json = parseJson(body);
  const answer = json.value;
  if (answer === null) {
    return fail("the answer from " + base + " is not JSON (" + json.error + "): " + excerpt(body) + "; is url the SearXNG base URL?");
  }
  const results = answer.getArray("results");
  if (results === null) {
    return fail("the answer from " + base + ' is JSON without a "results" array; is url the SearXNG base URL?');
  }

  const out = JsonValue.makeArray();
  for (let i = 0; i < results.length && out.length < maxResults; i++) {
    const r = results.at(i)!;
    const link = r.getString("url");
    if (link === null) continue; // a result without a link cannot be cited or fetched
    const title = r.getString("title");
    const content = r.getString("content");
    out.push(
      JsonValue.makeObject()
        .setString("title", title !== null ? title : "")
        .setString("url", link)
        .setString("snippet", content !== null ? content : ""),
    );
  }
  const result = JsonValue.makeObject().setString("query", query).set("results", out);
  const answers = mapAnswers(answer.getArray("answers"));
  if (answers !== null) result.set("answers", answers);
  return ok(result);
}
