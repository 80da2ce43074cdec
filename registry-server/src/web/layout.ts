/** The frame every web page shares: head, header with the search form, main, footer. */
import { html, type SafeHtml } from "./html.js";

/** Where the web pages live; the index is at `/`. */
export const WEB_PREFIX = "/-/web";

/** The URL of the page of `name` (its latest version), or of one `version` of it. */
export function packageUrl(name: string, version?: string): string {
  // The scope's slash stays a path separator (as npmjs.com does); each part is escaped on its own.
  const path = name.split("/").map(encodeURIComponent).join("/");
  return `${WEB_PREFIX}/package/${path}${version === undefined ? "" : `/v/${encodeURIComponent(version)}`}`;
}

/** Options of {@link layout}. */
export interface LayoutOptions {
  /** The page's own title; " · Shimmy plugins" is added. */
  title: string;
  /** The search box's current text. */
  query?: string;
  main: SafeHtml;
}

/** A whole HTML document. */
export function layout(options: LayoutOptions): string {
  return `<!doctype html>\n${html`<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${options.title} · Shimmy plugins</title>
<link rel="stylesheet" href="${WEB_PREFIX}/style.css">
<link rel="icon" href="${WEB_PREFIX}/favicon.svg" type="image/svg+xml">
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="site">
  <a class="brand" href="/">Shimmy plugins</a>
  <form role="search" method="get" action="/" class="search">
    <label for="q" class="visually-hidden">Search plugins</label>
    <input id="q" name="q" type="search" value="${options.query ?? ""}" placeholder="Search plugins (name, keyword, keywords:a,b, author:NAME)" autocomplete="off">
    <button type="submit">Search</button>
  </form>
</header>
<main id="main">
${options.main}
</main>
<footer class="site">A Shimmy plugin registry. npm clients use this same address; the JSON API is npm's (<code>/-/v1/search</code>, <code>/NAME</code>).</footer>
</body>
</html>`}\n`;
}
