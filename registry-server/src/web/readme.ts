/**
 * A package README as safe HTML: `marked` (GitHub-flavoured markdown) turns it into HTML, then
 * `sanitize-html` keeps only an allow-list of tags, attributes and URL schemes, so nothing a
 * publisher writes can run script (no `<script>`, no `on*` attributes, no `javascript:` URLs, no
 * `<iframe>`, `<form>` or `<style>`). The page's Content-Security-Policy is the second line.
 */
import { Marked } from "marked";
import sanitizeHtml from "sanitize-html";

const markdown = new Marked({ gfm: true, async: false });

/** README headings start at `<h3>`: the page has its `<h1>` and the README sits under an `<h2>`. */
const HEADING_SHIFT = 2;

function shiftHeading(level: number): sanitizeHtml.Transformer {
  return (_tag, attribs) => ({ tagName: `h${Math.min(level + HEADING_SHIFT, 6)}`, attribs });
}

const SANITIZE: sanitizeHtml.IOptions = {
  allowedTags: [
    ...sanitizeHtml.defaults.allowedTags.filter((tag) => !["h1", "h2", "h3", "h4", "h5", "h6"].includes(tag)),
    "h3", "h4", "h5", "h6", "img", "del", "details", "summary", "input",
  ],
  allowedAttributes: {
    a: ["href", "title", "rel"],
    img: ["src", "alt", "title", "width", "height"],
    ol: ["start"],
    th: ["align"],
    td: ["align"],
    // GFM task lists: a disabled checkbox, nothing else an input could be.
    input: ["type", "checked", "disabled"],
  },
  allowedClasses: { code: ["language-*"] },
  allowedSchemes: ["http", "https", "mailto"],
  // Images only over https (the page's CSP allows no other remote images).
  allowedSchemesByTag: { img: ["https"] },
  allowProtocolRelative: false,
  disallowedTagsMode: "discard",
  transformTags: {
    h1: shiftHeading(1),
    h2: shiftHeading(2),
    h3: shiftHeading(3),
    h4: shiftHeading(4),
    a: (tagName, attribs) => ({ tagName, attribs: { ...attribs, rel: "nofollow noopener noreferrer ugc" } }),
    input: (tagName, attribs) => ({ tagName, attribs: { type: attribs.type ?? "", disabled: "", ...(attribs.checked !== undefined ? { checked: "" } : {}) } }),
  },
  exclusiveFilter: (frame) => frame.tag === "input" && frame.attribs.type !== "checkbox",
};

/**
 * The README `source` (markdown, possibly with raw HTML) as sanitized HTML.
 *
 * @example
 * renderReadme("# Clock\n<script>alert(1)</script>") // '<h3>Clock</h3>\n'
 */
export function renderReadme(source: string): string {
  return sanitizeHtml(markdown.parse(source) as string, SANITIZE);
}
