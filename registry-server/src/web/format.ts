/** Small formatters the web pages share: times, byte sizes, and the access a plugin is granted. */
import { html, type SafeHtml } from "./html.js";
import type { AccessSummary } from "./plugin-summary.js";

/** An ISO time as a `<time>` element, shown as `YYYY-MM-DD HH:MM UTC`. */
export function timeElement(iso: string | undefined): SafeHtml {
  if (!iso) return html`<span class="muted">unknown</span>`;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return html`${iso}`;
  return html`<time datetime="${date.toISOString()}">${date.toISOString().slice(0, 16).replace("T", " ")} UTC</time>`;
}

/** `bytes` in B, KiB, MiB or GiB, the exact count kept when it is not a round number. */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const rounded = Number.isInteger(value) ? String(value) : value.toFixed(1);
  return unit === 0 ? `${bytes} B` : `${rounded} ${units[unit]}`;
}

/** Milliseconds as seconds or minutes, e.g. `15 s`, `2 min`. */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${ms / 1000} s`;
}

/** The one sentence of the files-and-network warning. */
export const FILES_AND_NETWORK_WARNING = "It can read or write your files and also reach the network, so what it reads could be sent to the hosts it may call.";

/** Badges for what a plugin may reach; the warning badge when it combines files and network. */
export function accessBadges(access: AccessSummary): SafeHtml {
  const badges: SafeHtml[] = [];
  if (access.filesAndNetwork) badges.push(html`<li class="badge warn" data-warning="files-and-network" title="${FILES_AND_NETWORK_WARNING}">⚠ files + network</li>`);
  if (access.net.length > 0) badges.push(html`<li class="badge" data-access="net">network: ${access.net.length} ${access.net.length === 1 ? "origin" : "origins"}</li>`);
  if (access.fsRead.length > 0) badges.push(html`<li class="badge" data-access="fs-read">reads files</li>`);
  if (access.fsWrite.length > 0) badges.push(html`<li class="badge" data-access="fs-write">writes files</li>`);
  if (badges.length === 0) badges.push(html`<li class="badge" data-access="none">no network, no files</li>`);
  return html`${badges}`;
}
