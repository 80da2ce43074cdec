/**
 * One package's page, for one of its versions: what the plugin does (tools and their input
 * schemas), what it may reach (hosts, folders, with a warning when it combines files and network),
 * its resource limits and settings, every version with its publish time, and the README.
 */
import semver from "semver";
import type { Packument, PackumentVersion } from "../resolve.js";
import { FILES_AND_NETWORK_WARNING, formatBytes, formatMs, timeElement } from "./format.js";
import { html, type SafeHtml } from "./html.js";
import { layout, packageUrl } from "./layout.js";
import { summarizePlugin, type AccessSummary, type PluginSummary, type ToolSummary } from "./plugin-summary.js";
import { schemaTable } from "./schema-table.js";

/** Options of {@link packagePage}. */
export interface PackagePageOptions {
  packument: Packument;
  /** The version shown; it must be in `packument.versions`. */
  version: string;
  /** The README as sanitized HTML, when the package has one. */
  readmeHtml?: SafeHtml;
  /** The registry's origin, for the install commands. */
  baseUrl: string;
}


function list(items: string[], none: string): SafeHtml {
  return items.length === 0 ? html`<span class="muted">${none}</span>` : html`<ul>${items.map((item) => html`<li><code>${item}</code></li>`)}</ul>`;
}

function accessSection(access: AccessSummary): SafeHtml {
  const templated = [...access.net, ...access.fsRead, ...access.fsWrite].find((entry) => entry.includes("{config."))?.match(/\{config\.[^}]*\}/)?.[0];
  return html`<section aria-labelledby="permissions">
<h2 id="permissions">Permissions</h2>
<dl class="facts" data-section="permissions">
  <dt>Network</dt><dd data-access="net">${list(access.net, "none: it cannot make HTTP requests")}</dd>
  <dt>Reads files under</dt><dd data-access="fs-read">${list(access.fsRead, "none")}</dd>
  <dt>Writes files under</dt><dd data-access="fs-write">${list(access.fsWrite, "none")}</dd>
</dl>
${templated ? html`<p class="muted">An entry such as <code>${templated}</code> is filled in from the plugin's settings: you choose those hosts or folders when you configure it.</p>` : ""}
</section>`;
}

function limitsSection(limits: PluginSummary["limits"]): SafeHtml {
  const note = (isDefault: boolean) => (isDefault ? html` <span class="muted">(default)</span>` : "");
  const { memoryMaxPages, timeoutMs, maxResponseBytes } = limits;
  return html`<section aria-labelledby="limits">
<h2 id="limits">Resource limits</h2>
<dl class="facts" data-section="limits">
  <dt>Memory</dt><dd data-limit="memoryMaxPages">${formatBytes(memoryMaxPages.value * 64 * 1024)} (${memoryMaxPages.value} pages of 64 KiB)${note(memoryMaxPages.isDefault)}</dd>
  <dt>Time per call</dt><dd data-limit="timeoutMs">${formatMs(timeoutMs.value)}${note(timeoutMs.isDefault)}</dd>
  <dt>Largest response or output</dt><dd data-limit="maxResponseBytes">${formatBytes(maxResponseBytes.value)}${note(maxResponseBytes.isDefault)}</dd>
</dl>
</section>`;
}

const HINTS: Record<string, [yes: string, no: string]> = {
  readOnlyHint: ["read-only", "may change things"],
  destructiveHint: ["may destroy data", "not destructive"],
  idempotentHint: ["idempotent", "not idempotent"],
  openWorldHint: ["reaches outside systems", "closed world"],
};

function toolCard(tool: ToolSummary): SafeHtml {
  const hints = Object.entries(tool.annotations).flatMap(([key, value]) => (HINTS[key] ? [HINTS[key]![value ? 0 : 1]] : []));
  return html`<article class="tool" data-tool="${tool.name}" aria-labelledby="tool-${tool.name}">
<h3 id="tool-${tool.name}"><code>${tool.name}</code>${tool.title ? html` <span class="muted">${tool.title}</span>` : ""}</h3>
${tool.description ? html`<p>${tool.description}</p>` : ""}
${hints.length > 0 ? html`<ul class="badges" aria-label="Hints">${hints.map((hint) => html`<li class="badge">${hint}</li>`)}</ul>` : ""}
${schemaTable(tool.inputSchema, `Input of ${tool.name}`)}
</article>`;
}

function versionsSection(packument: Packument, current: string): SafeHtml {
  const tagsOf = new Map<string, string[]>();
  for (const [tag, version] of Object.entries(packument["dist-tags"])) tagsOf.set(version, [...(tagsOf.get(version) ?? []), tag]);
  const versions = Object.keys(packument.versions).sort((a, b) => (semver.valid(a) && semver.valid(b) ? semver.rcompare(a, b) : b.localeCompare(a)));
  return html`<section aria-labelledby="versions">
<h2 id="versions">Versions (${versions.length})</h2>
<table data-section="versions">
  <thead><tr><th scope="col">Version</th><th scope="col">Published</th><th scope="col">Tags</th><th scope="col">Status</th></tr></thead>
  <tbody>
  ${versions.map((version) => {
    const deprecated = packument.versions[version]!.deprecated;
    return html`<tr data-version="${version}" ${version === current ? html`aria-current="page"` : ""}>
    <th scope="row"><a href="${packageUrl(packument.name, version)}">${version}</a></th>
    <td>${timeElement(packument.time[version])}</td>
    <td>${(tagsOf.get(version) ?? []).map((tag) => html`<span class="badge tag">${tag}</span> `)}</td>
    <td>${deprecated ? html`<span class="badge old">deprecated</span> ${deprecated}` : ""}</td>
  </tr>`;
  })}
  </tbody>
</table>
</section>`;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

/** The package page as a whole document. */
export function packagePage(options: PackagePageOptions): string {
  const { packument, version, baseUrl } = options;
  const entry: PackumentVersion = packument.versions[version]!;
  const summary = summarizePlugin(entry.shimmyPlugin);
  const tags = Object.entries(packument["dist-tags"]).filter(([, v]) => v === version).map(([tag]) => tag);
  const description = typeof entry.description === "string" ? entry.description : undefined;
  const license = typeof entry.license === "string" ? entry.license : undefined;
  const keywords = strings(entry.keywords);
  const publisher = (entry._npmUser as { name?: string } | undefined)?.name;
  const tarball = entry.dist.tarball;
  const file = tarball.slice(tarball.lastIndexOf("/") + 1);
  // The file `npm pack` writes: `@scope/name` becomes `scope-name-VERSION.tgz`.
  // The registry keeps the README of the version published last only.
  const newest = Object.keys(packument.versions).reduce((a, b) => ((packument.time[b] ?? "") > (packument.time[a] ?? "") ? b : a));
  const packFile = `${packument.name.replace(/^@/, "").replace("/", "-")}-${version}.tgz`;

  const main = html`<p class="muted"><a href="/">Plugins</a> / ${packument.name}</p>
<h1>${packument.name} <span class="muted">${version}</span></h1>
${tags.length > 0 ? html`<ul class="badges" aria-label="Tags">${tags.map((tag) => html`<li class="badge tag">${tag}</li>`)}</ul>` : ""}
${entry.deprecated ? html`<div class="deprecated" role="note" data-deprecated><strong>Deprecated:</strong> ${entry.deprecated}</div>` : ""}
${description ? html`<p class="pkg-desc">${description}</p>` : ""}
${
  summary.access.filesAndNetwork
    ? html`<div class="warning" role="note" data-warning="files-and-network"><strong>⚠ Warning: this plugin combines file access with network access.</strong>${FILES_AND_NETWORK_WARNING} Check the folders and hosts below before you grant them.</div>`
    : ""
}
<dl class="facts">
  <dt>Owner</dt><dd>${packument.maintainers[0]?.name ?? ""}</dd>
  ${publisher ? html`<dt>Published by</dt><dd>${publisher}, ${timeElement(packument.time[version])}</dd>` : ""}
  ${license ? html`<dt>License</dt><dd>${license}</dd>` : ""}
  ${keywords.length > 0 ? html`<dt>Keywords</dt><dd>${keywords.map((k, i) => html`${i > 0 ? ", " : ""}<a href="/?q=${encodeURIComponent(`keywords:${k}`)}">${k}</a>`)}</dd>` : ""}
  ${summary.coreRange ? html`<dt>Shimmy versions</dt><dd><code>${summary.coreRange}</code></dd>` : ""}
  <dt>Integrity</dt><dd><code>${entry.dist.integrity}</code></dd>
  <dt>Install</dt><dd><pre><code>npm pack ${packument.name}@${version} --registry ${baseUrl}/
shimmy plugin install ${packFile}</code></pre>
    <a href="${tarball}">Download ${file}</a></dd>
</dl>
${accessSection(summary.access)}
${limitsSection(summary.limits)}
<section aria-labelledby="tools">
<h2 id="tools">Tools (${summary.tools.length})</h2>
${summary.tools.length > 0 ? summary.tools.map(toolCard) : html`<p class="muted">This plugin offers no tools.</p>`}
</section>
${
  summary.otherCapabilities.length > 0
    ? html`<section aria-labelledby="capabilities">
<h2 id="capabilities">Other capabilities</h2>
<ul>${summary.otherCapabilities.map((c) => html`<li><span class="badge tag">${c.kind}</span> <code>${c.name}</code>${c.description ? html` — ${c.description}` : ""}</li>`)}</ul>
</section>`
    : ""
}
${
  summary.config
    ? html`<section aria-labelledby="settings">
<h2 id="settings">Settings</h2>
<p class="muted">Set with <code>shimmy plugin config ${packument.name} key=value</code>.</p>
${schemaTable(summary.config, "Settings")}
</section>`
    : ""
}
${versionsSection(packument, version)}
<section aria-labelledby="readme">
<h2 id="readme">README</h2>
${newest !== version && options.readmeHtml ? html`<p class="muted">This is the README of ${newest}, the version published last.</p>` : ""}
${options.readmeHtml ? html`<article class="readme" data-readme>${options.readmeHtml}</article>` : html`<p class="muted">No README.</p>`}
</section>`;
  return layout({ title: `${packument.name} ${version}`, main });
}
