/**
 * Reads DuckDuckGo's HTML results page (https://html.duckduckgo.com/html/). Each result is a block
 *
 *     <div class="result results_links …">
 *       <h2 class="result__title"><a rel="nofollow" class="result__a" href="//duckduckgo.com/l/?uddg=https%3A%2F%2F…&amp;rut=…">Title <b>words</b></a></h2>
 *       …<a class="result__snippet" href="…">Snippet with <b>words</b></a>
 *     </div>
 *
 * The page is not parsed as a tree: each `result__a` link starts a result, which runs to the next
 * one, and its snippet is the `result__snippet` element inside that span. Attribute order, quotes and
 * extra classes do not matter. Ads (`result--ad`, links to duckduckgo.com/y.js) are skipped. Every
 * scan moves forward through the page, and at most {@link MAX_LINKS} links are looked at.
 */
import { decodeEntities, decodeUtf8 } from "@shimmy/plugin-sdk/assembly";
import { isSpace, htmlText, SearchOutcome } from "./common";

const LINK_CLASS = "result__a";
const SNIPPET_CLASS = "result__snippet";
const AD_CLASS = "result--ad";
// A page has about 30 results and a few ads; past this the page is not what we expect.
const MAX_LINKS: i32 = 100;
// Longest tag, and longest title or snippet element, looked through: bounds every scan on a hostile page.
const MAX_TAG_CHARS: i32 = 4096;
const MAX_ELEMENT_CHARS: i32 = 8192;

function isQuote(c: i32): bool {
  return c == 0x22 || c == 0x27;
}

/**
 * Finds class tokens (`result__a`) that sit in a tag, moving forward only: it remembers the last `<`
 * and `>` it passed, so telling whether a hit is inside `<…>` costs one pass over the page in all,
 * however many times the token appears in text.
 */
class ClassFinder {
  private name: string;
  private scanned: i32 = 0;
  private lastOpen: i32 = -1;
  private lastClose: i32 = -1;

  constructor(name: string) {
    this.name = name;
  }

  /** Whether html[at] lies inside a tag; `at` must not go backwards between calls. */
  private insideTag(html: string, at: i32): bool {
    for (let i = this.scanned; i < at; i++) {
      const c = html.charCodeAt(i);
      if (c == 0x3c) this.lastOpen = i;
      else if (c == 0x3e) this.lastClose = i;
    }
    if (at > this.scanned) this.scanned = at;
    return this.lastOpen > this.lastClose;
  }

  /**
   * The index of the token at or after `from` (never before an earlier answer): delimited by quotes
   * or spaces (so `result__a` does not match `result__url`) and inside a tag; -1 when none.
   */
  find(html: string, from: i32): i32 {
    const name = this.name;
    let at = html.indexOf(name, max(from, this.scanned));
    while (at >= 0) {
      const before = at > 0 ? html.charCodeAt(at - 1) : 0;
      const after = at + name.length < html.length ? html.charCodeAt(at + name.length) : 0;
      if ((isQuote(before) || isSpace(before)) && (isQuote(after) || isSpace(after)) && this.insideTag(html, at)) return at;
      at = html.indexOf(name, at + name.length);
    }
    return -1;
  }
}

/** The value of attribute `name` in `tag` (one tag's text, `<` to `>`), entities not decoded; null when absent. */
function attribute(tag: string, name: string): string | null {
  const end = tag.length;
  let at = tag.indexOf(name + "=");
  while (at > 0) {
    if (isSpace(tag.charCodeAt(at - 1))) {
      let i = at + name.length + 1;
      if (i >= end) return "";
      const quote = tag.charCodeAt(i);
      if (isQuote(quote)) {
        const close = tag.indexOf(String.fromCharCode(quote), i + 1);
        return tag.substring(i + 1, close < 0 ? end : close);
      }
      const valueStart = i;
      while (i < end && !isSpace(tag.charCodeAt(i)) && tag.charCodeAt(i) != 0x3e) i++;
      return tag.substring(valueStart, i);
    }
    at = tag.indexOf(name + "=", at + 1);
  }
  return null;
}

function hexDigit(c: i32): i32 {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const lower = c | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}

/** Decodes `%XX` escapes as UTF-8 (a malformed escape stays as written); null when the bytes are not UTF-8. */
function percentDecode(s: string): string | null {
  if (!s.includes("%")) return s;
  const raw = Uint8Array.wrap(String.UTF8.encode(s));
  const bytes = new Uint8Array(raw.length);
  let n = 0;
  for (let i = 0; i < raw.length; i++) {
    const c = <i32>raw[i];
    if (c == 0x25 && i + 2 < raw.length) {
      const hi = hexDigit(raw[i + 1]);
      const lo = hexDigit(raw[i + 2]);
      if (hi >= 0 && lo >= 0) {
        bytes[n++] = <u8>((hi << 4) | lo);
        i += 2;
        continue;
      }
    }
    bytes[n++] = <u8>c;
  }
  return decodeUtf8(bytes.subarray(0, n));
}

/**
 * The result's real URL from a link's href (entities already decoded): the `uddg` parameter of
 * DuckDuckGo's `//duckduckgo.com/l/?uddg=…` redirect, or the href itself when it is a plain http(s)
 * URL elsewhere; null for anything else (an ad's duckduckgo.com/y.js, a relative link).
 */
export function resultUrl(href: string): string | null {
  const query = href.indexOf("?");
  if (query >= 0) {
    let at = href.indexOf("uddg=", query);
    while (at >= 0) {
      const before = href.charCodeAt(at - 1);
      if (before == 0x3f || before == 0x26) {
        const end = href.indexOf("&", at);
        const target = percentDecode(href.substring(at + 5, end < 0 ? href.length : end));
        if (target !== null && (target.startsWith("https://") || target.startsWith("http://"))) return target;
        return null;
      }
      at = href.indexOf("uddg=", at + 5);
    }
  }
  const absolute = href.startsWith("//") ? "https:" + href : href;
  if (!absolute.startsWith("https://") && !absolute.startsWith("http://")) return null;
  const hostStart = absolute.indexOf("//") + 2;
  let hostEnd = hostStart;
  while (hostEnd < absolute.length) {
    const c = absolute.charCodeAt(hostEnd);
    if (c == 0x2f || c == 0x3f || c == 0x23 || c == 0x3a) break;
    hostEnd++;
  }
  const host = absolute.substring(hostStart, hostEnd).toLowerCase();
  if (host == "duckduckgo.com" || host.endsWith(".duckduckgo.com")) return null; // its own pages and ad redirects
  return absolute;
}

/**
 * The inner HTML of the element whose tag is html[tagStart..tagEnd]: up to its closing tag, and no
 * further than `limit` or {@link MAX_ELEMENT_CHARS}.
 */
function innerHtml(html: string, tagStart: i32, tagEnd: i32, limit: i32): string {
  let i = tagStart + 1;
  while (i < tagEnd && !isSpace(html.charCodeAt(i))) i++;
  const close = "</" + html.substring(tagStart + 1, i);
  const end = min(limit, tagEnd + 1 + MAX_ELEMENT_CHARS);
  for (let j = tagEnd + 1; j < end; j++) {
    if (html.charCodeAt(j) == 0x3c && html.startsWith(close, j)) return html.substring(tagEnd + 1, j);
  }
  return html.substring(tagEnd + 1, end);
}

/** What {@link parseResults} saw. */
export class ParsedPage {
  /** Result links found, ads and unreadable ones included. */
  links: i32 = 0;
}

/** Adds the page's results, in order, to `outcome`, up to `max` of them. */
export function parseResults(html: string, max: i32, outcome: SearchOutcome): ParsedPage {
  const page = new ParsedPage();
  const links = new ClassFinder(LINK_CLASS);
  const snippets = new ClassFinder(SNIPPET_CLASS);
  let at = links.find(html, 0);
  let previousEnd = 0; // where the previous result's link tag ended: an ad marker after it is this result's
  let adAt = html.indexOf(AD_CLASS); // the next ad marker at or after previousEnd, reused like snippetAt
  let snippetAt = 0; // the next snippet at or after the current link, found once and reused (-1: none left)
  while (at >= 0 && outcome.results.length < max && page.links < MAX_LINKS) {
    page.links++;
    const tagStart = html.lastIndexOf("<", at);
    if (at - tagStart > MAX_TAG_CHARS) break;
    const tagEnd = html.indexOf(">", at);
    if (tagEnd < 0 || tagEnd - at > MAX_TAG_CHARS) break;
    const next = links.find(html, tagEnd);
    const blockEnd = next < 0 ? html.length : html.lastIndexOf("<", next);
    if (adAt >= 0 && adAt < previousEnd) adAt = html.indexOf(AD_CLASS, previousEnd);
    const isAd = adAt >= 0 && adAt < tagStart;

    const title = htmlText(innerHtml(html, tagStart, tagEnd, blockEnd));
    const href = attribute(html.substring(tagStart, tagEnd + 1), "href");
    const url = href !== null ? resultUrl(decodeEntities(href)) : null;
    let snippet = "";
    if (snippetAt >= 0 && snippetAt < tagEnd) snippetAt = snippets.find(html, tagEnd);
    if (snippetAt >= 0 && snippetAt < blockEnd) {
      const snippetStart = html.lastIndexOf("<", snippetAt);
      const snippetEnd = html.indexOf(">", snippetAt);
      if (snippetEnd >= 0 && snippetEnd < blockEnd) snippet = htmlText(innerHtml(html, snippetStart, snippetEnd, blockEnd));
    }
    if (!isAd && url !== null) outcome.add(title, url, snippet);
    previousEnd = tagEnd;
    at = next;
  }
  return page;
}
