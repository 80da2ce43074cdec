/** The registry's front page: the search box's results (best match first), or every plugin by name. */
import type { SearchResult } from "../search.js";
import { accessBadges, timeElement } from "./format.js";
import { html } from "./html.js";
import { layout, packageUrl } from "./layout.js";
import { summarizeAccess } from "./plugin-summary.js";

/** Plugins per page of the index. */
export const INDEX_PAGE_SIZE = 50;

/** Options of {@link indexPage}. */
export interface IndexPageOptions {
  /** This page of the search (`from` = `page * INDEX_PAGE_SIZE`). */
  result: SearchResult;
  /** The search text, "" for every plugin. */
  query: string;
  /** 0-based page number. */
  page: number;
}

function pageLink(query: string, page: number): string {
  const params = new URLSearchParams();
  if (query) params.set("q", query);
  if (page > 0) params.set("page", String(page));
  const search = params.toString();
  return search ? `/?${search}` : "/";
}

/** The index page as a whole document. */
export function indexPage(options: IndexPageOptions): string {
  const { result, query, page } = options;
  const noun = result.total === 1 ? "plugin" : "plugins";
  const count = query ? html`${result.total} ${noun} matching “${query}”` : html`${result.total} ${noun}`;
  const items = result.objects.map(({ package: pkg, flags }) => {
    const access = summarizeAccess(pkg.permissions);
    return html`<li data-package="${pkg.name}">
  <div class="pkg-head">
    <a class="pkg-name" href="${packageUrl(pkg.name)}">${pkg.name}</a>
    <span class="muted">${pkg.version}</span>
    <span class="muted">by ${pkg.maintainers[0]?.username ?? pkg.publisher.username} · ${timeElement(pkg.date)}</span>
  </div>
  ${pkg.description ? html`<p class="pkg-desc">${pkg.description}</p>` : ""}
  <ul class="badges" aria-label="What it is and may reach">
    ${flags?.deprecated ? html`<li class="badge old">deprecated</li>` : ""}
    ${pkg.capabilities.map((kind) => html`<li class="badge tag">${kind}</li>`)}
    ${accessBadges(access)}
  </ul>
</li>`;
  });
  const pages = Math.ceil(result.total / INDEX_PAGE_SIZE);
  const pager =
    pages > 1
      ? html`<nav class="pager" aria-label="Pages">
  ${page > 0 ? html`<a href="${pageLink(query, page - 1)}" rel="prev">← Previous</a>` : ""}
  <span class="muted">Page ${page + 1} of ${pages}</span>
  ${page + 1 < pages ? html`<a href="${pageLink(query, page + 1)}" rel="next">Next →</a>` : ""}
</nav>`
      : "";
  const main = html`<h1>${query ? "Search results" : "Plugins"}</h1>
<p class="count" role="status">${count}</p>
${
  result.objects.length > 0
    ? html`<ul class="packages">${items}</ul>`
    : html`<p>${query ? "No plugin matches. Try fewer words, or a keyword." : "Nothing is published yet."}</p>`
}
${pager}`;
  return layout({ title: query ? `“${query}”` : "Plugins", query, main });
}
