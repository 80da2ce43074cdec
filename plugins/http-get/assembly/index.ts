/**
 * http-get: fetches a page from an origin the user granted and returns it as readable text.
 *
 * The plugin never checks the URL against the granted origins itself: the host does, on every
 * redirect hop too, and its refusal is relayed. HTML is reduced to text here (html.ts) so a model
 * reads the words, not the markup; other text passes through as it is.
 */
import { configInteger, fail, http, HttpReply, inputJson, JsonValue, ok, truncateChars } from "@shimmy/plugin-sdk/assembly";
import { htmlToText } from "./html";
import { decodeWindows1252, isHtml, isPlainText, isWindows1252 } from "./text";

const DEFAULT_MAX_CHARS: i32 = 20000;
const MAX_CHARS: i32 = 100000;
const ACCEPT = "text/html,application/xhtml+xml,text/plain;q=0.9,application/json;q=0.9,application/xml;q=0.8,*/*;q=0.5";
const USER_AGENT = "Shimmy-http-get/1.0";

/** A whole number in [1, MAX_CHARS] from the input, else from the config, else the default. */
function maxChars(input: JsonValue): i32 {
  const configured = configInteger("max_chars", DEFAULT_MAX_CHARS);
  const fallback = min(max(configured, <i64>1), <i64>MAX_CHARS);
  return <i32>input.getIntegerClamped("max_chars", fallback, 1, MAX_CHARS);
}

/** Without a Content-Type, a UTF-8 body that opens like an HTML document is read as HTML. */
function looksLikeHtml(body: string): bool {
  const head = body.substring(0, 512).trimStart().toLowerCase();
  return head.startsWith("<!doctype html") || head.startsWith("<html");
}

/** Tool `fetch`: `{url, max_chars?}` → `{url, status, content_type, title?, text, truncated}`. */
export function fetch(): i32 {
  const parsed = inputJson();
  const input = parsed.value;
  if (input === null || !input.isObject()) return fail("input must be a JSON object: " + parsed.error);
  const url = input.getString("url");
  if (url === null) return fail('"url" must be a string');
  const lower = url.toLowerCase();
  if (!lower.startsWith("http://") && !lower.startsWith("https://")) return fail("only http and https URLs can be fetched, not " + url);
  const limit = maxChars(input);

  const headers = JsonValue.makeObject().setString("Accept", ACCEPT).setString("User-Agent", USER_AGENT);
  const reply = HttpReply.from(http("GET", url, headers));
  const refused = reply.error;
  if (refused !== null) return fail("could not fetch " + url + ": " + refused);

  const status = reply.status;
  const success = reply.ok;
  const contentTypeHeader = reply.header("content-type");
  const contentType = contentTypeHeader !== null ? contentTypeHeader.trim() : "";
  const type = reply.contentType();
  const body = reply.body;

  // An error page's body is a bonus, so a non-2xx answer never fails for its body: the status
  // is the news. A 2xx answer that is not text is refused, since the caller asked for text.
  const textual = isHtml(type.mediaType) || isPlainText(type.mediaType) || (type.mediaType.length == 0 && body !== null);
  let raw = "";
  if (!textual) {
    if (success) return fail(url + " is not text (content type " + (contentType.length > 0 ? contentType : "unknown") + ")");
  } else if (body !== null) {
    raw = body;
  } else if (reply.bodyBase64 !== null && isWindows1252(type.charset)) {
    const bytes = reply.bodyBytes();
    raw = bytes !== null ? decodeWindows1252(bytes) : "";
  } else if (success) {
    return fail(url + " is not text (content type " + contentType + ", but the body is not valid UTF-8)");
  }

  const result = JsonValue.makeObject().setString("url", url).setInteger("status", status).setString("content_type", contentType);
  let text = raw;
  if (isHtml(type.mediaType) || (type.mediaType.length == 0 && looksLikeHtml(raw))) {
    const page = htmlToText(raw);
    if (page.title !== null) result.setString("title", page.title!);
    text = page.text;
  }
  const cut = truncateChars(text, limit);
  result.setString("text", cut);
  result.setBool("truncated", cut.length < text.length);
  return ok(result);
}
