/**
 * The web pages' static files, kept in the module (the package ships only `dist/`): the style
 * sheet and the icon. There is no script: search is a plain GET form, so the CSP forbids all script.
 */

const STYLE = `
:root { color-scheme: light dark; --fg: #1b1f24; --muted: #57606a; --bg: #ffffff; --panel: #f6f8fa; --line: #d0d7de;
  --link: #0550ae; --warn-bg: #fff1e5; --warn-fg: #7a2e00; --warn-line: #d4691a; --tag: #ddf4ff; --old: #ffebe9; --old-fg: #82071e; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e6edf3; --muted: #9198a1; --bg: #0d1117; --panel: #161b22; --line: #30363d; --link: #79c0ff;
    --warn-bg: #3d1d00; --warn-fg: #ffc680; --warn-line: #db6d28; --tag: #0c2d6b; --old: #4a0d12; --old-fg: #ffa198; }
}
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
a { color: var(--link); }
a:not([href]) { color: inherit; }
a:focus-visible, button:focus-visible, input:focus-visible, summary:focus-visible { outline: 3px solid var(--link); outline-offset: 2px; }
code, pre { font: 0.9em/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
pre { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 0.75rem; overflow: auto; }
.skip { position: absolute; left: -999px; top: 0; }
.skip:focus { left: 0.5rem; top: 0.5rem; background: var(--bg); padding: 0.25rem 0.5rem; z-index: 1; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
header.site { display: flex; flex-wrap: wrap; gap: 0.75rem 1.5rem; align-items: center; padding: 0.75rem 1.5rem; border-bottom: 1px solid var(--line); background: var(--panel); }
.brand { font-weight: 700; font-size: 1.15rem; text-decoration: none; color: var(--fg); }
.search { display: flex; gap: 0.5rem; flex: 1; min-width: 16rem; max-width: 40rem; }
.search input { flex: 1; padding: 0.45rem 0.6rem; border: 1px solid var(--line); border-radius: 6px; background: var(--bg); color: var(--fg); font: inherit; }
.search button { padding: 0.45rem 0.9rem; border: 1px solid var(--line); border-radius: 6px; background: var(--bg); color: var(--fg); font: inherit; cursor: pointer; }
main { max-width: 64rem; margin: 0 auto; padding: 1rem 1.5rem 3rem; }
footer.site { max-width: 64rem; margin: 0 auto; padding: 1rem 1.5rem 2rem; color: var(--muted); font-size: 0.875rem; border-top: 1px solid var(--line); }
h1 { font-size: 1.75rem; margin: 0.5rem 0; overflow-wrap: anywhere; }
h2 { font-size: 1.3rem; margin: 2rem 0 0.75rem; padding-bottom: 0.3rem; border-bottom: 1px solid var(--line); }
h3 { font-size: 1.1rem; margin: 1.25rem 0 0.5rem; }
.muted { color: var(--muted); }
.count { color: var(--muted); margin: 0.5rem 0 1rem; }
ul.packages { list-style: none; margin: 0; padding: 0; }
ul.packages > li { padding: 0.9rem 0; border-bottom: 1px solid var(--line); }
.pkg-head { display: flex; flex-wrap: wrap; gap: 0.25rem 0.75rem; align-items: baseline; }
.pkg-name { font-size: 1.1rem; font-weight: 600; overflow-wrap: anywhere; }
.pkg-desc { margin: 0.25rem 0; }
.badges { display: flex; flex-wrap: wrap; gap: 0.35rem; margin: 0.35rem 0 0; padding: 0; list-style: none; }
.badge { display: inline-block; font-size: 0.8rem; padding: 0.05rem 0.5rem; border-radius: 999px; border: 1px solid var(--line); background: var(--panel); white-space: nowrap; }
.badge.tag { background: var(--tag); }
.badge.warn { background: var(--warn-bg); color: var(--warn-fg); border-color: var(--warn-line); font-weight: 600; }
.badge.old { background: var(--old); color: var(--old-fg); border-color: var(--old-fg); }
.warning { background: var(--warn-bg); color: var(--warn-fg); border: 1px solid var(--warn-line); border-left-width: 6px; border-radius: 6px; padding: 0.75rem 1rem; margin: 1rem 0; }
.warning strong { display: block; margin-bottom: 0.25rem; }
.deprecated { background: var(--old); color: var(--old-fg); border: 1px solid var(--old-fg); border-radius: 6px; padding: 0.75rem 1rem; margin: 1rem 0; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.35rem 1.25rem; margin: 1rem 0; }
dl.facts dt { font-weight: 600; color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
dl.facts dd ul { list-style: none; margin: 0; padding: 0; }
table { border-collapse: collapse; width: 100%; margin: 0.5rem 0 1rem; font-size: 0.95rem; }
th, td { text-align: left; vertical-align: top; padding: 0.4rem 0.6rem; border: 1px solid var(--line); }
thead th { background: var(--panel); }
tr[aria-current] td { background: var(--tag); }
.tool { border: 1px solid var(--line); border-radius: 8px; padding: 0.25rem 1rem 0.75rem; margin: 1rem 0; }
.tool h3 code { font-size: 1em; }
details > summary { cursor: pointer; color: var(--link); margin: 0.25rem 0; }
.readme { overflow-wrap: break-word; }
.readme img { max-width: 100%; }
.readme table { width: auto; }
.pager { display: flex; gap: 1rem; margin-top: 1rem; }
@media (max-width: 40rem) { dl.facts { grid-template-columns: 1fr; } dl.facts dd { margin-bottom: 0.5rem; } }
`;

const ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#0550ae"/><path d="M9 21c2 2 4.5 3 7 3 4 0 7-2 7-5.2 0-6.3-13-3.7-13-9 0-2 2-3.8 5.5-3.8 2 0 4 .7 5.5 2" fill="none" stroke="#fff" stroke-width="3" stroke-linecap="round"/></svg>`;

/** One static file: its bytes and Content-Type. */
export interface WebAsset {
  type: string;
  body: string;
}

/** The files under `/-/web/`, by name. */
export const WEB_ASSETS: Readonly<Record<string, WebAsset>> = Object.freeze({
  "style.css": { type: "text/css; charset=utf-8", body: STYLE.trimStart() },
  "favicon.svg": { type: "image/svg+xml", body: ICON },
});
