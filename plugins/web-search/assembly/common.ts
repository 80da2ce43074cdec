/**
 * What every provider shares: the request it is given, the outcome it returns, and the text helpers
 * that turn a provider's fields into the tool's `{title, url, snippet}` results.
 */
import { decodeEntities, HttpReply, JsonValue, parseJson, truncateChars } from "@shimmy/plugin-sdk/assembly";

const EXCERPT_CHARS: i32 = 200;
// A title or snippet past these is noise for the model (and a malformed page could make one huge).
const TITLE_CHARS: i32 = 300;
const SNIPPET_CHARS: i32 = 1000;

/** One search, as the tool's input and the settings decided it. */
export class SearchRequest {
  query: string = "";
  maxResults: i32 = 5;
  /** A language code, or "auto". */
  language: string = "auto";
  /** 0 off, 1 moderate, 2 strict; -1 when not configured (the provider's own default). */
  safesearch: i32 = -1;
  /** day, week, month or year; null for any time. */
  timeRange: string | null = null;
  /** SearXNG categories; null when not given. */
  categories: string | null = null;
  /** The provider's base URL, without a trailing slash. */
  base: string = "";
  /** The API key of providers that need one (Brave, Tavily). */
  key: string | null = null;
}

/** What a provider found, or why it failed. */
export class SearchOutcome {
  /** `[{title, url, snippet}]`. */
  results: JsonValue = JsonValue.makeArray();
  /** Direct answers, when the provider gave any. */
  answers: JsonValue | null = null;
  /** The error the call fails with; null on success. */
  error: string | null = null;

  static failed(message: string): SearchOutcome {
    const outcome = new SearchOutcome();
    outcome.error = message;
    return outcome;
  }

  /** Appends a result, unless it has no http(s) link (it could be neither cited nor fetched). */
  add(title: string, url: string, snippet: string): void {
    if (!url.startsWith("http://") && !url.startsWith("https://")) return;
    this.results.push(
      JsonValue.makeObject()
        .setString("title", truncateChars(title, TITLE_CHARS))
        .setString("url", url)
        .setString("snippet", truncateChars(snippet, SNIPPET_CHARS)),
    );
  }

  /**
   * Appends the results of a provider's JSON array, up to `maxResults` in all: each an object with
   * `url`, `title` and a snippet under `snippetKey`; `fromHtml` when the provider marks up its text.
   */
  addAll(results: JsonValue, maxResults: i32, snippetKey: string, fromHtml: bool): void {
    for (let i = 0; i < results.length && this.results.length < maxResults; i++) {
      const r = results.at(i)!;
      const link = r.getString("url");
      if (link === null) continue;
      const title = r.getString("title");
      const snippet = r.getString(snippetKey);
      const titleText = title !== null ? title : "";
      const snippetText = snippet !== null ? snippet : "";
      this.add(fromHtml ? htmlText(titleText) : titleText, link, fromHtml ? htmlText(snippetText) : snippetText);
    }
  }

  /** Adds a non-blank direct answer. */
  addAnswer(text: string): void {
    if (text.trim().length == 0) return;
    let answers = this.answers;
    if (answers === null) {
      answers = JsonValue.makeArray();
      this.answers = answers;
    }
    answers.push(JsonValue.makeString(text));
  }
}

export function isSpace(c: i32): bool {
  return c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d || c == 0x0c;
}

/** `text` with runs of whitespace collapsed to one space, trimmed. */
export function collapseSpace(text: string): string {
  const words = new Array<string>();
  let i = 0;
  const n = text.length;
  while (i < n) {
    while (i < n && isSpace(text.charCodeAt(i))) i++;
    const start = i;
    while (i < n && !isSpace(text.charCodeAt(i))) i++;
    if (i > start) words.push(text.substring(start, i));
  }
  return words.join(" ");
}

// Tags that mark words inside a line: dropped without a space, so "<b>wasm</b>," stays "wasm,".
const INLINE_TAGS: Array<string> = ["a", "b", "strong", "em", "i", "u", "span", "mark", "small", "code", "wbr"];

/** Whether the tag `<…>` at fragment[lt..gt] is one of {@link INLINE_TAGS} (opening or closing). */
function isInlineTag(fragment: string, lt: i32, gt: i32): bool {
  let i = lt + 1;
  if (i < gt && fragment.charCodeAt(i) == 0x2f) i++; // "/"
  const start = i;
  while (i < gt) {
    const c = fragment.charCodeAt(i) | 0x20;
    if (c < 0x61 || c > 0x7a) break;
    i++;
  }
  return i > start && INLINE_TAGS.includes(fragment.substring(start, i).toLowerCase());
}

/** Whether fragment[at] can follow a `<` that opens a tag, comment or doctype: a letter, `/` or `!`. */
function startsTag(fragment: string, at: i32): bool {
  if (at >= fragment.length) return false;
  const c = fragment.charCodeAt(at);
  const lower = c | 0x20;
  return (lower >= 0x61 && lower <= 0x7a) || c == 0x2f || c == 0x21;
}

/**
 * An HTML fragment as plain text: tags dropped, character references decoded, whitespace collapsed.
 * Brave and DuckDuckGo mark the query's words with `<strong>`/`<b>`; the model needs none of it.
 */
export function htmlText(fragment: string): string {
  const parts = new Array<string>();
  let i = 0;
  const n = fragment.length;
  while (i < n) {
    const lt = fragment.indexOf("<", i);
    if (lt < 0) {
      parts.push(fragment.substring(i));
      break;
    }
    if (lt > i) parts.push(fragment.substring(i, lt));
    if (!startsTag(fragment, lt + 1)) {
      parts.push("<"); // "a < b" in a JSON snippet is text, not a tag
      i = lt + 1;
      continue;
    }
    const gt = fragment.indexOf(">", lt);
    if (gt < 0) break; // an unclosed tag at the end: the rest is markup
    if (!isInlineTag(fragment, lt, gt)) parts.push(" "); // <br>, <p>: the words either side stay apart
    i = gt + 1;
  }
  return collapseSpace(decodeEntities(parts.join("")));
}

/** The first characters of a body, whitespace collapsed onto one line, for error messages. */
export function excerpt(body: string | null): string {
  if (body === null) return "(a body that is not UTF-8 text)";
  // Only the head is looked at: the body can be megabytes.
  const text = collapseSpace(body.length > EXCERPT_CHARS * 4 ? truncateChars(body, EXCERPT_CHARS * 4) : body);
  if (text.length == 0) return "(empty body)";
  if (text.length <= EXCERPT_CHARS) return text;
  return truncateChars(text, EXCERPT_CHARS) + "…";
}

/**
 * The message in an API's JSON error body: Brave's `{error: {detail}}`, Tavily's
 * `{detail: {error}}`, or a plain `detail`, `message` or `error` string; null when there is none.
 */
export function apiErrorDetail(body: string | null): string | null {
  if (body === null) return null;
  const json = parseJson(body).value;
  if (json === null || !json.isObject()) return null;
  const error = json.getObject("error");
  if (error !== null) {
    const detail = error.getString("detail");
    if (detail !== null) return detail;
    const message = error.getString("message");
    if (message !== null) return message;
  }
  const detail = json.getObject("detail");
  if (detail !== null) {
    const text = detail.getString("error");
    if (text !== null) return text;
  }
  const keys = ["detail", "message", "error"];
  for (let i = 0; i < keys.length; i++) {
    const text = json.getString(keys[i]);
    if (text !== null) return text;
  }
  return null;
}

/**
 * The error of a reply that did not succeed (the host refused it, or a non-2xx status), naming
 * `provider`; null when it succeeded. An API's own error message is preferred to a body excerpt.
 */
export function replyError(reply: HttpReply, provider: string): string | null {
  const refused = reply.error;
  if (refused !== null) return "the request to " + provider + " failed: " + refused;
  if (reply.ok) return null;
  const detail = apiErrorDetail(reply.body);
  return provider + " answered HTTP " + reply.status.toString() + ": " + (detail !== null ? excerpt(detail) : excerpt(reply.body));
}
