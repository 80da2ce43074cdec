/**
 * A model's answer as HTML: markdown through `marked`, code blocks highlighted by highlight.js, and
 * the result through DOMPurify. A model's output is untrusted (a prompt injection can make it write
 * anything), so three things hold even before the Content-Security-Policy: raw HTML in the answer
 * is shown as text, never parsed; DOMPurify removes whatever could run (scripts, `on*` attributes,
 * `javascript:` links) or fetch (images, styles, forms); links open in a new tab with no referrer.
 */
import DOMPurify from "dompurify";
import hljs from "highlight.js/lib/core";
import bash from "highlight.js/lib/languages/bash";
import c from "highlight.js/lib/languages/c";
import diff from "highlight.js/lib/languages/diff";
import go from "highlight.js/lib/languages/go";
import java from "highlight.js/lib/languages/java";
import javascript from "highlight.js/lib/languages/javascript";
import json from "highlight.js/lib/languages/json";
import python from "highlight.js/lib/languages/python";
import rust from "highlight.js/lib/languages/rust";
import sql from "highlight.js/lib/languages/sql";
import typescript from "highlight.js/lib/languages/typescript";
import xml from "highlight.js/lib/languages/xml";
import yaml from "highlight.js/lib/languages/yaml";
import { Marked, type Tokens } from "marked";

// A handful of common languages keeps the bundle small (CSS alone would add 13 KB); others are shown plain.
for (const [name, language] of Object.entries({ bash, c, diff, go, java, javascript, json, python, rust, sql, typescript, xml, yaml })) {
  hljs.registerLanguage(name, language);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** A fenced block's code, highlighted when its language is one of those registered. */
function codeBlock({ text, lang }: Tokens.Code): string {
  const language = (lang ?? "").trim().split(/\s+/)[0] ?? "";
  const known = language !== "" && hljs.getLanguage(language) !== undefined;
  const body = known ? hljs.highlight(text, { language, ignoreIllegals: true }).value : escapeHtml(text);
  const label = /^[\w+#.-]+$/.test(language) ? ` language-${language}` : "";
  return `<pre><code class="hljs${label}">${body}</code></pre>\n`;
}

const marked = new Marked({
  gfm: true,
  // A chat answer's single newlines are line breaks, as the model meant them.
  breaks: true,
  renderer: {
    code: codeBlock,
    // Raw HTML in an answer is text to read, not markup.
    html: ({ text, block }) => (block ? `<p>${escapeHtml(text)}</p>\n` : escapeHtml(text)),
    // No request leaves for an image a model names (a way to send data out): it becomes a link.
    image: ({ href, text }) => `<a href="${escapeHtml(href)}">${escapeHtml(text || href)}</a>`,
  },
});

DOMPurify.addHook("afterSanitizeAttributes", (node) => {
  if (node.tagName === "A" && node.hasAttribute("href")) {
    node.setAttribute("target", "_blank");
    node.setAttribute("rel", "noopener noreferrer");
  }
});

const PURIFY = {
  USE_PROFILES: { html: true },
  FORBID_TAGS: ["style", "img", "picture", "video", "audio", "source", "track", "form", "input", "button", "select", "textarea", "iframe", "object", "embed"],
  FORBID_ATTR: ["style"],
  RETURN_DOM_FRAGMENT: true as const,
};

/**
 * Renders `text` (markdown from a model) as a sanitized fragment, ready to append.
 *
 * @example
 * element.replaceChildren(renderMarkdown("**Hello** `world`"));
 */
export function renderMarkdown(text: string): DocumentFragment {
  const html = marked.parse(text, { async: false });
  return DOMPurify.sanitize(html, PURIFY);
}
