/**
 * The `shimmy plugin` commands that read registries: `search TEXT`, `info NAME` of a plugin that is
 * not installed (or with `--registry`), `update [NAME]` within each plugin's recorded range, and
 * `outdated`. Bare first-party names and text also match the plugins bundled with the core, so
 * these work with no registry reachable.
 */
import { validateManifest } from "@shimmy/plugin-sdk";
import semver from "semver";
import { readLock } from "../plugins/store/lock-file.js";
import { resolvePermissions } from "../plugins/store/permissions.js";
import { StoreError } from "../plugins/store/store-error.js";
import { BUNDLED_REGISTRY, readBundledIndex } from "../registry/bundled-index.js";
import { parsePackageSpec } from "../registry/package-spec.js";
import { pickVersion } from "../registry/pick-version.js";
import { RegistryError } from "../registry/registry-error.js";
import type { SearchHit } from "../registry/registry-client.js";
import { clientFor, lookupPackument, resolvePlugin } from "../registry/resolve-plugin.js";
import { CORE_VERSION } from "../version.js";
import { installResolved, settingsOf, type PluginContext } from "./plugin-add.js";
import { capabilityLines, formatLimits, formatPermissions } from "./plugin-format.js";
import { renderTable } from "./table.js";

/** The bundled plugins whose name, description or keywords hold every word of `text`. */
function bundledHits(text: string): SearchHit[] {
  const words = text.toLowerCase().split(/\s+/).filter(Boolean);
  return Object.entries(readBundledIndex().plugins)
    .map(([name, entry]): SearchHit => ({
      name,
      version: entry.version,
      description: String(entry.manifest.description ?? ""),
      capabilities: [...new Set((entry.manifest.capabilities as { kind: string }[] | undefined ?? []).map((c) => c.kind))],
      permissions: (entry.manifest.permissions as Record<string, unknown> | undefined) ?? {},
      deprecated: null,
    }))
    .filter((hit) => {
      const haystack = `${hit.name} ${hit.description} ${JSON.stringify(readBundledIndex().plugins[hit.name]?.manifest.keywords ?? [])}`.toLowerCase();
      return words.every((w) => haystack.includes(w));
    });
}

/** `shimmy plugin search TEXT`: the registry's hits, then the bundled plugins it does not list. */
export async function searchCommand(ctx: PluginContext, text: string): Promise<void> {
  const settings = settingsOf(ctx);
  const registry = settings.flag ?? settings.fallback;
  let hits: (SearchHit & { from: string })[] = [];
  try {
    hits = (await clientFor(registry, { home: ctx.layout.home }).search(text)).map((h) => ({ ...h, from: registry }));
  } catch (error) {
    if (!(error instanceof RegistryError) || error.code !== "unreachable") throw error;
    ctx.io.stderr.write(`shimmy plugin search: ${error.message}; showing the bundled plugins only\n`);
  }
  if (!settings.flag) for (const hit of bundledHits(text)) if (!hits.some((h) => h.name === hit.name)) hits.push({ ...hit, from: BUNDLED_REGISTRY });
  if (ctx.json) {
    ctx.io.stdout.write(JSON.stringify(hits, null, 2) + "\n");
    return;
  }
  if (hits.length === 0) {
    ctx.io.stdout.write(`No plugins match "${text}".\n`);
    return;
  }
  const rows = hits.map((h) => [h.name, h.version, h.from === BUNDLED_REGISTRY ? "bundled" : "registry", `${h.deprecated ? "(deprecated) " : ""}${h.description}`]);
  ctx.io.stdout.write(renderTable(["NAME", "VERSION", "FROM", "DESCRIPTION"], rows));
}

/** `shimmy plugin info NAME[@SPEC]` from a registry (or the bundled plugins). */
export async function registryInfoCommand(ctx: PluginContext, specText: string): Promise<void> {
  const spec = parsePackageSpec(specText);
  const { source, packument } = await lookupPackument(spec.name, { settings: settingsOf(ctx), home: ctx.layout.home });
  const picked = pickVersion(packument, spec, { coreVersion: CORE_VERSION });
  const version = picked.version;
  const checked = version.shimmyPlugin ? validateManifest(version.shimmyPlugin) : null;
  const manifest = checked?.ok ? checked.manifest : null;
  if (ctx.json) {
    ctx.io.stdout.write(JSON.stringify({ name: spec.name, registry: source, version: version.version, "dist-tags": packument["dist-tags"], versions: Object.keys(packument.versions), deprecated: picked.deprecated, integrity: version.dist.integrity, manifest }, null, 2) + "\n");
    return;
  }
  const versions = semver.rsort(Object.keys(packument.versions).filter((v) => semver.valid(v)));
  const lines = [
    `${spec.name} ${version.version}: ${version.description ?? manifest?.description ?? ""}`,
    ...(picked.deprecated ? [`Deprecated: ${picked.deprecated}`] : []),
    `From      ${source === BUNDLED_REGISTRY ? "the plugins bundled with Shimmy" : source}`,
    `Tags      ${Object.entries(packument["dist-tags"]).map(([t, v]) => `${t}: ${v}`).join(", ") || "none"}`,
    `Versions  ${versions.slice(0, 10).join(", ")}${versions.length > 10 ? `, and ${versions.length - 10} older` : ""}`,
    `Integrity ${version.dist.integrity ?? "(none)"}`,
    `Signed    ${version.dist.signatures?.length ? version.dist.signatures.map((s) => s.keyid).join(", ") : source === BUNDLED_REGISTRY ? "bundled (integrity pinned)" : "no"}`,
  ];
  if (manifest) {
    lines.push(`Shimmy    ${manifest.shimmy}${picked.supportsCore ? "" : ` (not this one, ${CORE_VERSION})`}`, ...capabilityLines(manifest));
    const permissions = resolvePermissions(manifest, {}, ctx.layout.userHome);
    lines.push("It may reach:", ...formatPermissions(permissions.granted, permissions.unset, spec.name), ...formatLimits(manifest.limits));
  } else {
    lines.push("(the registry does not describe its tools and permissions)");
  }
  const installed = (await readLock(ctx.layout)).plugins[spec.name];
  if (installed) lines.push(`Installed ${installed.version}`);
  ctx.io.stdout.write(lines.join("\n") + "\n");
}

/** The installed plugins a registry command looks at: `names`, else all installed by name. */
async function targets(ctx: PluginContext, names: string[]) {
  const lock = await readLock(ctx.layout);
  const chosen = names.length ? names : Object.keys(lock.plugins);
  return chosen.map((name) => {
    const entry = lock.plugins[name];
    if (!entry) throw new StoreError("not_installed", `no plugin named ${name} is installed`);
    return { name, entry };
  });
}

/** `shimmy plugin update [NAME...]`: the highest version within each recorded range; asks again when permissions widen. */
export async function updateCommand(ctx: PluginContext, names: string[]): Promise<void> {
  const settings = settingsOf(ctx);
  for (const { name, entry } of await targets(ctx, names)) {
    if (!entry.registry) {
      const note = `${name} was installed from ${entry.source}, not by name: install it again from there, or with shimmy plugin add ${name}`;
      if (names.length) throw new StoreError("invalid_package", note);
      ctx.io.stderr.write(`${note}\n`);
      continue;
    }
    const plugin = await resolvePlugin(`${name}@${entry.registry.range}`, {
      settings,
      home: ctx.layout.home,
      coreVersion: CORE_VERSION,
      source: settings.flag ?? entry.registry.url,
      range: entry.registry.range,
      acceptNewKey: ctx.acceptNewKey,
      retry: `shimmy plugin update ${name}`,
    });
    if (!semver.gt(plugin.version.version, entry.version)) {
      ctx.io.stdout.write(`${name} ${entry.version} is the newest within ${entry.registry.range}\n`);
      continue;
    }
    const result = await installResolved(ctx, plugin, "widened");
    await ctx.sync(result.generation);
    ctx.io.stdout.write(`Updated ${name} ${entry.version} → ${result.entry.version} (${result.entry.integrity})\n`);
  }
}

/** `shimmy plugin outdated`: installed, wanted (within the range) and latest of each plugin installed by name. */
export async function outdatedCommand(ctx: PluginContext): Promise<void> {
  const settings = settingsOf(ctx);
  const rows: { name: string; current: string; wanted: string; latest: string; registry: string }[] = [];
  for (const { name, entry } of await targets(ctx, [])) {
    if (!entry.registry) continue;
    try {
      const { packument } = await lookupPackument(name, { settings, home: ctx.layout.home, source: settings.flag ?? entry.registry.url });
      const wanted = pickVersion(packument, parsePackageSpec(`${name}@${entry.registry.range}`), { coreVersion: CORE_VERSION }).version.version;
      const latest = pickVersion(packument, parsePackageSpec(name), { coreVersion: CORE_VERSION }).version.version;
      if (semver.gt(wanted, entry.version) || semver.gt(latest, entry.version)) rows.push({ name, current: entry.version, wanted, latest, registry: entry.registry.url });
    } catch (error) {
      if (!(error instanceof RegistryError)) throw error;
      ctx.io.stderr.write(`shimmy plugin outdated: ${name}: ${error.message}\n`);
    }
  }
  if (ctx.json) ctx.io.stdout.write(JSON.stringify(rows, null, 2) + "\n");
  else if (rows.length === 0) ctx.io.stdout.write("Every plugin installed by name is up to date.\n");
  else ctx.io.stdout.write(renderTable(["NAME", "CURRENT", "WANTED", "LATEST", "REGISTRY"], rows.map((r) => [r.name, r.current, r.wanted, r.latest, r.registry])));
}
