/**
 * http-get: fetches a page from an origin the user granted and returns it as readable text.
 *
 * The plugin never checks the URL against the granted origins itself: the host does, on every
 * redirect hop too, and its refusal is relayed. HTML is reduced to text here (html.ts) so a model
 * reads the words, not the markup; other text passes through as it is.
 */
import { config, fail, hostError, http, inputJson, JsonValue, ok } from "@shimmy/plugin-sdk/assembly";
import { htmlToText } from "./html";
import { decodeBase64, decodeWindows1252, isHtml, isPlainText, isWindows1252, parseContentType, truncateChars } from "./text";

const DEFAULT_MAX_CHARS: i32 = 20000;
const MAX_CHARS: i32 = 100000;
const ACCEPT = "text/html,application/xhtml+xml,text/plain;q=0.9,application/json;q=0.9,application/xml;q=0.8,*/*;q=0.5";
const USER_AGENT = "Shimmy-http-get/1.0";

/** A whole number in [1, MAX_CHARS] from the input, else from the config, else the default. */
function maxChars(input: JsonValue): i32 {
  let n: f64 = NaN;
  const v = input.get("max_chars");
  if (v !== null && v.isNumber()) n = v.num;
  else {
    const configured = config("max_chars");
    if (configured !== null) n = parseFloat(configured.trim());
  }
  if (isNaN(n) || !isFinite(n)) return DEFAULT_MAX_CHARS;
  n = Math.floor(n);
  if (n < 1) return 1;
  if (n > <f64>MAX_CHARS) return MAX_CHARS;
  return <i32>n;
}

/** A response header by name, case-insensitively (the host lowercases them, but be lenient). */
function header(headers: JsonValue | null, name: string): string | null {
  if (headers === null || !headers.isObject()) return null;
  for (let i = 0; i < headers.keys.length; i++) {
    if (headers.keys[i].toLowerCase() == name && headers.values[i].isString()) return headers.values[i].str;
  }
  return null;
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
  const reply = http("GET", url, headers);
  const refused = hostError(reply);
  if (refused !== null) return fail("could not fetch " + url + ": " + refused);

  const statusValue = reply.get("status");
  const status = statusValue !== null && statusValue.isNumber() ? <i32>statusValue.num : 0;
  const success = status >= 200 && status <= 299;
  const contentTypeHeader = header(reply.get("headers"), "content-type");
  const contentType = contentTypeHeader !== null ? contentTypeHeader.trim() : "";
  const type = parseContentType(contentTypeHeader);
  const body = reply.getString("body");
  const base64 = reply.getString("body_base64");

  // An error page's body is a bonus, so a non-2xx answer never fails for its body: the status
  // is the news. A 2xx answer that is not text is refused, since the caller asked for text.
  const textual = isHtml(type.mediaType) || isPlainText(type.mediaType) || (type.mediaType.length == 0 && body !== null);
  let raw = "";
  if (!textual) {
    if (success) return fail(url + " is not text (content type " + (contentType.length > 0 ? contentType : "unknown") + ")");
  } else if (body !== null) {
    raw = body;
  } else if (base64 !== null && isWindows1252(type.charset)) {
    raw = decodeWindows1252(decodeBase64(base64));
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
