/**
 * `shimmy plugin add|install NAME[@RANGE|@TAG]|PATH.tgz|DIR` and `update [NAME]`. A name is
 * resolved and its signature verified first (registry/resolve-plugin.ts); the user sees what the
 * plugin is, may reach and costs, with its integrity and signer, and is asked once (`--yes` answers);
 * then the tarball is downloaded with a progress bar, checked, and installed through the store,
 * which checks the package itself again. A path installs as before.
 */
import type { PluginManifest } from "@shimmy/plugin-sdk";
import { pinRegistryKeys, registrySettings, type RegistrySettings } from "../config/index.js";
import { installPlugin, type InstallPlan, type InstallResult } from "../plugins/store/install.js";
import type { StoreLayout } from "../plugins/store/layout.js";
import { readLock } from "../plugins/store/lock-file.js";
import { resolvePermissions, widening } from "../plugins/store/permissions.js";
import { readPluginSecrets } from "../plugins/store/secrets.js";
import { StoreError } from "../plugins/store/store-error.js";
import { RegistryError } from "../registry/registry-error.js";
import { resolvePlugin, type ResolvedPlugin } from "../registry/resolve-plugin.js";
import { CORE_VERSION } from "../version.js";
import { formatPlan } from "./plugin-format.js";
import { ask, type PluginCliIO } from "./plugin-io.js";
import { createProgress } from "./progress.js";

/** What every `shimmy plugin` command works with. */
export interface PluginContext {
  layout: StoreLayout;
  io: PluginCliIO;
  yes: boolean;
  json: boolean;
  /** `--registry`. */
  registry: string | undefined;
  acceptNewKey: boolean;
  /** Waits for a running server to apply lock `generation`. */
  sync(generation: number): Promise<void>;
}

/**
 * Whether an argument of `add` is a path rather than a package name, as npm tells them apart: a
 * `.tgz`, or anything starting with `.`, `/` or `~`, or holding a separator that is not a scope's.
 */
export function isPathSpec(spec: string): boolean {
  if (/\.(tgz|tar\.gz)$/i.test(spec) || /^[.~/\\]/.test(spec) || /^[A-Za-z]:[\\/]/.test(spec)) return true;
  return /[\\/]/.test(spec) && !/^@[^/\\@]+\/[^/\\]+$/.test(spec);
}

/** The registry settings of this command. */
export function settingsOf(ctx: PluginContext): RegistrySettings {
  return registrySettings(ctx.layout.home, ctx.io.env, ctx.registry);
}

/** Who vouches for a resolved plugin, in words. */
export function signerText(plugin: ResolvedPlugin): string {
  switch (plugin.signer.kind) {
    case "bundled":
      return `bundled with Shimmy ${CORE_VERSION} (integrity pinned in its index)`;
    case "unsigned":
      return `none: ${plugin.registry} does not sign its packages; only the integrity it lists is checked`;
    case "registry":
      return `${plugin.registry}, key ${plugin.signer.keyid}${plugin.signer.firstUse ? " (first use: this key will be pinned)" : " (pinned)"}`;
  }
}

/** The plan an install of `plugin` would show, from what the registry describes and what is installed. */
async function previewPlan(layout: StoreLayout, manifest: PluginManifest, name: string): Promise<InstallPlan> {
  const existing = (await readLock(layout)).plugins[name];
  const config = { ...(existing?.config ?? {}), ...((await readPluginSecrets(layout))[name] ?? {}) };
  const permissions = resolvePermissions(manifest, config, layout.userHome);
  return {
    manifest,
    permissions,
    ...(existing ? { previous: { version: existing.version, permissions: existing.permissions } } : {}),
    widened: existing ? widening(existing.permissions, permissions.granted) : [],
  };
}

/** JSON with sorted keys, so two manifests compare by content. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** What the user approves: a package that reaches or costs more than its registry described is refused. */
function described(manifest: PluginManifest): string {
  return canonical({ permissions: manifest.permissions ?? {}, limits: manifest.limits, config: manifest.config ?? null, capabilities: manifest.capabilities });
}

/** When to ask before installing. */
type AskWhen = "always" | "widened";

/**
 * Shows `plugin`, asks as `when` says, downloads, verifies and installs it; pins the registry's key
 * on first use once the install has succeeded.
 */
export async function installResolved(ctx: PluginContext, plugin: ResolvedPlugin, when: AskWhen): Promise<InstallResult> {
  const { io, layout } = ctx;
  const name = plugin.spec.name;
  const version = plugin.version.version;
  const preview = plugin.manifest ? await previewPlan(layout, plugin.manifest, name) : null;
  const head = [
    ...(plugin.deprecated ? [`Deprecated: ${plugin.deprecated}`] : []),
    ...(plugin.supportsCore ? [] : [`Warning: ${name}@${version} says it supports Shimmy ${String(plugin.manifest?.shimmy ?? "?")}; this is ${CORE_VERSION}, so the install will be refused.`]),
    `From      ${plugin.registry === "bundled" ? "the plugins bundled with Shimmy" : plugin.registry}`,
    `Integrity ${plugin.version.dist.integrity ?? "(none)"}`,
    `Signer    ${signerText(plugin)}`,
  ];
  const shown = preview ? formatPlan(preview) : `${name} ${version}: ${plugin.version.description ?? ""}\n(the registry does not describe what it may reach: that is shown once it is downloaded)\n`;
  const question = `${preview?.previous ? "Update" : "Install"} ${name} ${version}? [y/N] `;
  const mustAsk = !ctx.yes && (when === "always" || (preview?.widened.length ?? 1) > 0);
  if (when === "always" || mustAsk) io.stdout.write(`${shown}${head.join("\n")}\n`);
  if (preview && mustAsk && !(await ask(io, question))) throw new StoreError("cancelled", `${name} was not installed`);

  const progress = createProgress({ label: `downloading ${name}@${version}`, stream: io.stderr });
  let fetched;
  try {
    fetched = await plugin.download((received, total) => progress.update(total ? received / total : 0));
  } finally {
    progress.finish();
  }
  const result = await installPlugin(layout, fetched, {
    coreVersion: CORE_VERSION,
    onProgress: (message) => io.stderr.write(`${message}…\n`),
    confirm: async (plan) => {
      if (plugin.manifest) {
        if (described(plugin.manifest) !== described(plan.manifest)) {
          throw new RegistryError("bad_response", `the package of ${name}@${version} declares other tools, permissions or limits than ${plugin.registry} describes for it: refusing it`);
        }
        return true;
      }
      if (ctx.yes) return true;
      io.stdout.write(formatPlan(plan));
      return ask(io, question);
    },
  });
  if (plugin.pin && plugin.registry !== "bundled") {
    await pinRegistryKeys(layout.home, plugin.registry, plugin.pin);
    io.stderr.write(`Pinned the signing key ${plugin.pin.map((k) => k.keyid).join(", ")} of ${plugin.registry} in ${layout.home}/config.json\n`);
  }
  return result;
}

/** `shimmy plugin add|install SPEC`. */
export async function addCommand(ctx: PluginContext, spec: string, command: string): Promise<void> {
  const { io, layout } = ctx;
  if (isPathSpec(spec)) {
    const result = await installPlugin(layout, spec, {
      coreVersion: CORE_VERSION,
      yes: ctx.yes,
      onProgress: (message) => io.stderr.write(`${message}…\n`),
      confirm: async (plan) => {
        io.stdout.write(formatPlan(plan));
        return ask(io, `Install ${plan.manifest.name} ${plan.manifest.version}? [y/N] `);
      },
    });
    if (ctx.yes) io.stdout.write(formatPlan(result.plan));
    await ctx.sync(result.generation);
    io.stdout.write(`Installed ${result.name} ${result.entry.version} (${result.entry.integrity})\n`);
    return;
  }
  const plugin = await resolvePlugin(spec, {
    settings: settingsOf(ctx),
    home: layout.home,
    coreVersion: CORE_VERSION,
    acceptNewKey: ctx.acceptNewKey,
    retry: `shimmy plugin ${command} ${spec}`,
  });
  const result = await installResolved(ctx, plugin, "always");
  await ctx.sync(result.generation);
  io.stdout.write(`Installed ${result.name} ${result.entry.version} from ${plugin.registry} (${result.entry.integrity})\n`);
}
