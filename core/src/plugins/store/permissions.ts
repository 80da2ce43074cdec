/**
 * What a plugin may reach, in the words the user approves: its manifest's permission patterns
 * resolved with the user's config (the same expansion the host applies at load), and what a config
 * change would add to what was approved.
 */
import path from "node:path";
import type { PluginManifest } from "@shimmy/plugin-sdk";
import { expandHome } from "../fs-grants.js";
import { expandPattern, resolveGrants, type NetGrant } from "../net-grants.js";
import type { GrantedPermissions } from "./lock-file.js";
import { withConfigDefaults } from "./plugin-config.js";

/** Resolved permissions, and the patterns that grant nothing yet because a config key is unset. */
export interface ResolvedPermissions {
  granted: GrantedPermissions;
  /** Patterns naming config keys that are not set, with those keys. */
  unset: { pattern: string; keys: string[] }[];
}

const TEMPLATE_KEYS = /\{config\.([A-Za-z0-9_.-]+)\}/g;

/** `scheme://host[:port]`, the default port left out, as a person writes an origin. */
export function originText(grant: Pick<NetGrant, "scheme" | "host" | "wildcard" | "port">): string {
  const defaultPort = grant.scheme === "https" ? 443 : 80;
  return `${grant.scheme}://${grant.wildcard ? "*." : ""}${grant.host}${grant.port === defaultPort ? "" : `:${grant.port}`}`;
}

function unsetKeys(pattern: string, config: Record<string, unknown>): string[] {
  return [...pattern.matchAll(TEMPLATE_KEYS)].map((m) => m[1] as string).filter((key) => {
    const v = config[key];
    return v === undefined || v === null || v === "" || (Array.isArray(v) && v.length === 0);
  });
}

function folders(patterns: string[], config: Record<string, unknown>, home: string): string[] {
  const out = patterns.flatMap((pattern) => expandPattern(pattern, config).map((e) => expandHome(e.value.trim(), home)));
  return [...new Set(out.filter((p) => path.isAbsolute(p)).map((p) => path.resolve(p)))];
}

/**
 * Resolves a manifest's `permissions` with `config` (secrets included), its schema's defaults filled
 * in as the host fills them ({@link withConfigDefaults}), and `home` for `~`.
 */
export function resolvePermissions(manifest: Pick<PluginManifest, "permissions" | "config">, userConfig: Record<string, unknown>, home: string): ResolvedPermissions {
  const config = withConfigDefaults(manifest, userConfig);
  const net = manifest.permissions?.net ?? [];
  const read = manifest.permissions?.fs?.read ?? [];
  const write = manifest.permissions?.fs?.write ?? [];
  const unset = [...net, ...read, ...write, ...(manifest.permissions?.models ?? [])]
    .map((pattern) => ({ pattern, keys: unsetKeys(pattern, config) }))
    .filter((u) => u.keys.length > 0);
  return {
    granted: {
      net: [...new Set(resolveGrants(net, config).map(originText))],
      fs: { read: folders(read, config, home), write: folders(write, config, home) },
      ...(manifest.permissions?.models?.length ? { models: resolveModelGrants(manifest.permissions.models, config) } : {}),
    },
    unset,
  };
}

/** The model ids `permissions.models` grants: ids as written, `{config.KEY}` templates expanded (a list gives each entry). */
export function resolveModelGrants(patterns: readonly string[], config: Record<string, unknown>): string[] {
  return [...new Set(patterns.flatMap((pattern) => expandPattern(pattern, config).map((e) => e.value.trim())).filter((id) => id !== ""))];
}

/** What `next` grants that `approved` did not, one line each (`net https://…`, `fs.read /…`). */
export function widening(approved: GrantedPermissions, next: GrantedPermissions): string[] {
  const added: string[] = [];
  for (const origin of next.net) if (!approved.net.includes(origin)) added.push(`net ${origin}`);
  for (const folder of next.fs.read) if (!approved.fs.read.includes(folder)) added.push(`fs.read ${folder}`);
  for (const folder of next.fs.write) if (!approved.fs.write.includes(folder)) added.push(`fs.write ${folder}`);
  for (const model of next.models ?? []) if (!(approved.models ?? []).includes(model)) added.push(`models ${model}`);
  return added;
}

/** No permissions at all. */
export function noPermissions(): GrantedPermissions {
  return { net: [], fs: { read: [], write: [] } };
}
