/**
 * What a plugin is and what it may reach, read from its published manifest for the web pages: its
 * tools (with input schemas) and other capabilities, the hosts and folders of its permissions, and
 * its resource limits with the SDK's defaults filled in. Pure, and lenient: a stored manifest passed
 * `validateManifest` at publish, but a field this page does not know is simply left out.
 */
import { LIMIT_DEFAULTS } from "@shimmy/plugin-sdk";

/** One tool: its name, what it does, and the JSON Schema of its input. */
export interface ToolSummary {
  name: string;
  title?: string;
  description?: string;
  inputSchema: Record<string, unknown>;
  /** The MCP-style hints the manifest gives (`readOnlyHint`, `openWorldHint`, …), as set. */
  annotations: Record<string, boolean>;
}

/** Any other capability (`step`, `router`, `embedder`). */
export interface CapabilitySummary {
  kind: string;
  name: string;
  description?: string;
}

/** The hosts and folders a plugin may touch; every list empty means none. */
export interface AccessSummary {
  /** Origins it may call over HTTP (`{config.KEY}` entries are chosen by the user). */
  net: string[];
  /** Folders it may read and list. */
  fsRead: string[];
  /** Folders it may write into. */
  fsWrite: string[];
  /** Files and network together: what it reads could leave the machine. */
  filesAndNetwork: boolean;
}

/** One resource limit: its value, and whether the manifest set it or it is the default. */
export interface LimitSummary {
  value: number;
  isDefault: boolean;
}

/** Everything the package page shows about one version's manifest. */
export interface PluginSummary {
  tools: ToolSummary[];
  otherCapabilities: CapabilitySummary[];
  access: AccessSummary;
  limits: { memoryMaxPages: LimitSummary; timeoutMs: LimitSummary; maxResponseBytes: LimitSummary };
  /** The user's settings (`config`), a JSON Schema of type object, when the plugin has any. */
  config?: Record<string, unknown>;
  /** The core versions it supports (`shimmy`), e.g. `>=0.1.0`. */
  coreRange?: string;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

function text(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** The access a manifest's `permissions` grant (from a search result, or a whole manifest's). */
export function summarizeAccess(permissions: unknown): AccessSummary {
  const granted = isObject(permissions) ? permissions : {};
  const fs = isObject(granted.fs) ? granted.fs : {};
  const net = strings(granted.net);
  const fsRead = strings(fs.read);
  const fsWrite = strings(fs.write);
  return { net, fsRead, fsWrite, filesAndNetwork: net.length > 0 && fsRead.length + fsWrite.length > 0 };
}

/** The summary of one published manifest (`shimmy-plugin.json`). */
export function summarizePlugin(manifest: Record<string, unknown>): PluginSummary {
  const tools: ToolSummary[] = [];
  const otherCapabilities: CapabilitySummary[] = [];
  for (const capability of Array.isArray(manifest.capabilities) ? manifest.capabilities : []) {
    if (!isObject(capability)) continue;
    const kind = String(capability.kind);
    const name = text(capability.name) ?? text(capability.export) ?? kind;
    const description = text(capability.description);
    if (kind === "tool") {
      const annotations = isObject(capability.annotations)
        ? Object.fromEntries(Object.entries(capability.annotations).filter((entry): entry is [string, boolean] => typeof entry[1] === "boolean"))
        : {};
      tools.push({
        name,
        ...(text(capability.title) ? { title: text(capability.title)! } : {}),
        ...(description ? { description } : {}),
        inputSchema: isObject(capability.inputSchema) ? capability.inputSchema : {},
        annotations,
      });
    } else {
      otherCapabilities.push({ kind, name, ...(description ? { description } : {}) });
    }
  }
  const given = isObject(manifest.limits) ? manifest.limits : {};
  const limit = (key: keyof typeof LIMIT_DEFAULTS): LimitSummary =>
    typeof given[key] === "number" ? { value: given[key], isDefault: false } : { value: LIMIT_DEFAULTS[key], isDefault: true };
  return {
    tools,
    otherCapabilities,
    access: summarizeAccess(manifest.permissions),
    limits: { memoryMaxPages: limit("memoryMaxPages"), timeoutMs: limit("timeoutMs"), maxResponseBytes: limit("maxResponseBytes") },
    ...(isObject(manifest.config) ? { config: manifest.config } : {}),
    ...(text(manifest.shimmy) ? { coreRange: text(manifest.shimmy)! } : {}),
  };
}
