/**
 * HTML reduced to readable text for a model: no markup, scripts or styles; block elements on
 * their own lines, list items as "- " lines, character references decoded, whitespace collapsed
 * (except inside <pre>) and never more than one blank line. It is a forgiving single pass, not a
 * conforming parser: a page's exact layout matters less than never failing on broken markup.
 */
import { decodeEntities } from "@shimmy/plugin-sdk/assembly";

/** The outcome of {@link htmlToText}. */
export class HtmlText {
  /** The first <title>, decoded and collapsed; null when absent or blank. */
  title: string | null = null;
  text: string = "";
}

function setOf(names: Array<string>): Set<string> {
  const set = new Set<string>();
  for (let i = 0; i < names.length; i++) set.add(names[i]);
  return set;
}

// Elements whose content is never text to read (raw text, or markup for machines).
const SKIPPED = setOf(["script", "style", "noscript", "template", "svg", "math", "iframe", "canvas", "object"]);

// Blocks that start and end a paragraph: a blank line around them.
const PARAGRAPHS = setOf(["p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table", "hr", "figure"]);

// Blocks that only start and end a line.
const LINES = setOf([
  "div", "section", "article", "aside", "header", "footer", "nav", "main", "ul", "ol", "dl", "dt", "dd", "li", "tr",
  "form", "fieldset", "figcaption", "address", "details", "summary", "caption", "thead", "tbody", "tfoot", "center",
  "body", "html", "option", "legend",
]);

// What may sit in <head>; anything else starts the body (browsers close <head> implicitly).
const HEAD_CONTENT = setOf(["head", "title", "meta", "link", "base", "style", "script", "noscript", "template"]);

function isSpace(c: i32): bool {
  return c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d || c == 0x0c || c == 0xa0;
}

function isLetter(c: i32): bool {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

function isNameChar(c: i32): bool {
  return isLetter(c) || (c >= 0x30 && c <= 0x39) || c == 0x2d || c == 0x3a || c == 0x5f;
}

/** Collects words and line breaks, collapsing whitespace and capping blank lines at one. */
class TextWriter {
  parts: Array<string> = new Array<string>();
  started: bool = false;
  atLineStart: bool = true;
  pendingSpace: bool = false;
  /** Newlines owed before the next word: 1 starts a line, 2 leaves a blank line. */
  pendingBreaks: i32 = 0;
  pendingPrefix: string = "";

  space(): void {
    if (!this.atLineStart) this.pendingSpace = true;
  }

  /** A <br>: one more newline each time, up to a blank line. */
  lineBreak(): void {
    this.pendingBreaks = min(this.pendingBreaks + 1, 2);
  }

  /** A block boundary: at least `breaks` newlines before the next word, however many blocks meet here. */
  block(breaks: i32): void {
    if (breaks > this.pendingBreaks) this.pendingBreaks = breaks;
  }

  /** Text written before the next word on its line (a list item's "- "). */
  prefix(text: string): void {
    this.pendingPrefix = text;
  }

  /** Appends a word (or a run of <pre> text, spaces kept). */
  word(text: string): void {
    if (this.started) {
      if (this.pendingBreaks > 0) {
        this.parts.push(this.pendingBreaks > 1 ? "\n\n" : "\n");
        this.atLineStart = true;
      } else if (this.pendingSpace && !this.atLineStart) {
        this.parts.push(" ");
      }
    }
    if (this.pendingPrefix.length > 0) {
      if (this.started && !this.atLineStart) this.parts.push("\n");
      this.parts.push(this.pendingPrefix);
      this.pendingPrefix = "";
    }
    this.parts.push(text);
    this.started = true;
    this.atLineStart = false;
    this.pendingSpace = false;
    this.pendingBreaks = 0;
  }

  /** Text outside <pre>: whitespace runs become one space. */
  flowText(text: string): void {
    const n = text.length;
    let i = 0;
    while (i < n) {
      if (isSpace(text.charCodeAt(i))) {
        this.space();
        while (i < n && isSpace(text.charCodeAt(i))) i++;
        continue;
      }
      const start = i;
      while (i < n && !isSpace(text.charCodeAt(i))) i++;
      this.word(text.substring(start, i));
    }
  }

  /** Text inside <pre>: spaces kept, each newline a line break (still at most one blank line). */
  preText(text: string): void {
    const lines = text.split("\r\n").join("\n").split("\n");
    for (let i = 0; i < lines.length; i++) {
      if (i > 0) this.lineBreak();
      const line = lines[i];
      if (line.length > 0) this.word(line);
    }
  }

  finish(): string {
    return this.parts.join("");
  }
}

/** Whitespace collapsed to single spaces, ends trimmed. */
export function collapseSpaces(text: string): string {
  const w = new TextWriter();
  w.flowText(text);
  return w.finish();
}

/** Index of the `</name` that closes a raw or skipped element, from `from`; -1 when there is none. */
function findClose(html: string, name: string, from: i32): i32 {
  const n = html.length;
  const len = name.length;
  let at = from;
  while (true) {
    const k = html.indexOf("</", at);
    if (k < 0) return -1;
    let matches = k + 2 + len <= n;
    for (let j = 0; matches && j < len; j++) {
      if ((html.charCodeAt(k + 2 + j) | 0x20) != name.charCodeAt(j)) matches = false;
    }
    if (matches && (k + 2 + len == n || !isNameChar(html.charCodeAt(k + 2 + len)))) return k;
    at = k + 2;
  }
}

/** The index just past the `>` at or after `from` (the end of the text when there is none). */
function pastTagEnd(html: string, from: i32): i32 {
  const gt = html.indexOf(">", from);
  return gt < 0 ? html.length : gt + 1;
}

/**
 * Reduces an HTML document to readable text and its title.
 *
 * @example htmlToText("<title>Hi</title><p>a &amp; b</p><ul><li>x<li>y</ul>") gives title "Hi", text "a & b\n\n- x\n- y"
 */
export function htmlToText(html: string): HtmlText {
  const result = new HtmlText();
  const w = new TextWriter();
  const n = html.length;
  let inHead = false;
  let preDepth = 0;
  let i = 0;
  while (i < n) {
    const lt = html.indexOf("<", i);
    const textEnd = lt < 0 ? n : lt;
    if (textEnd > i && !inHead) {
      const text = decodeEntities(html.substring(i, textEnd));
      if (preDepth > 0) w.preText(text);
      else w.flowText(text);
    }
    if (lt < 0) break;
    i = lt;
    if (html.startsWith("<!--", i)) {
      const end = html.indexOf("-->", i + 4);
      i = end < 0 ? n : end + 3;
      continue;
    }
    const next = i + 1 < n ? html.charCodeAt(i + 1) : 0;
    if (next == 0x21 || next == 0x3f) {
      i = pastTagEnd(html, i); // <!doctype>, <![CDATA[…]]> and <?xml?> carry no readable text
      continue;
    }
    const closing = next == 0x2f;
    const nameStart = i + (closing ? 2 : 1);
    if (nameStart >= n || !isLetter(html.charCodeAt(nameStart))) {
      if (!inHead) w.word("<"); // a bare '<' in text, as browsers read it
      i++;
      continue;
    }
    let nameEnd = nameStart;
    while (nameEnd < n && isNameChar(html.charCodeAt(nameEnd))) nameEnd++;
    const name = html.substring(nameStart, nameEnd).toLowerCase();
    // The tag ends at the first '>' outside a quoted attribute value; a quote only opens a value
    // right after '=', so a stray apostrophe in a broken tag cannot swallow the rest of the page.
    let j = nameEnd;
    let quote = 0;
    let afterEquals = false;
    while (j < n) {
      const c = html.charCodeAt(j);
      if (quote != 0) {
        if (c == quote) quote = 0;
      } else if (c == 0x3e) {
        break;
      } else if ((c == 0x22 || c == 0x27) && afterEquals) {
        quote = c;
      }
      if (c == 0x3d) afterEquals = true;
      else if (!isSpace(c)) afterEquals = false;
      j++;
    }
    const selfClosing = j > nameEnd && html.charCodeAt(j - 1) == 0x2f;
    i = j < n ? j + 1 : n;

    if (closing) {
      if (name == "head") inHead = false;
      else if (name == "pre") {
        if (preDepth > 0) preDepth--;
        w.block(2);
      } else if (PARAGRAPHS.has(name)) w.block(2);
      else if (LINES.has(name)) w.block(1);
      continue;
    }
    if (name == "title") {
      const close = findClose(html, "title", i);
      const end = close < 0 ? n : close;
      if (result.title === null) {
        const title = collapseSpaces(decodeEntities(html.substring(i, end)));
        if (title.length > 0) result.title = title;
      }
      i = close < 0 ? n : pastTagEnd(html, close);
      continue;
    }
    if (SKIPPED.has(name)) {
      if (!selfClosing) {
        const close = findClose(html, name, i);
        i = close < 0 ? n : pastTagEnd(html, close);
      }
      continue;
    }
    if (name == "head") {
      inHead = true;
      continue;
    }
    if (inHead && !HEAD_CONTENT.has(name)) inHead = false;
    if (inHead) continue;
    if (name == "br") w.lineBreak();
    else if (name == "li") {
      w.block(1);
      w.prefix("- ");
    } else if (name == "pre") {
      w.block(2);
      preDepth++;
    } else if (name == "td" || name == "th") w.space();
    else if (PARAGRAPHS.has(name)) w.block(2);
    else if (LINES.has(name)) w.block(1);
  }
  result.text = w.finish();
  return result;
}
