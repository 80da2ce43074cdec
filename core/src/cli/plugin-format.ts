/** The human output of `shimmy plugin`: plans, permissions, limits, installed plugins. */
import { EMBEDDER_MAX_BATCH_DEFAULT, HOST_LIMITS, instanceMemory, LIMIT_DEFAULTS, sizeTemplateKey, type EmbedderCapability, type PluginLimits, type PluginManifest } from "@shimmy/plugin-sdk";
import type { InstallPlan } from "../plugins/store/install.js";
import type { GrantedPermissions } from "../plugins/store/lock-file.js";
import type { ResolvedPermissions } from "../plugins/store/permissions.js";
import type { InstalledPlugin } from "../plugins/store/store.js";
import { renderTable } from "./table.js";

/** What a plugin may reach, one line each; unset templates say how to set them. */
export function formatPermissions(granted: GrantedPermissions, unset: ResolvedPermissions["unset"] = [], name = "NAME"): string[] {
  const lines = [
    ...granted.net.map((o) => `  network   ${o}`),
    ...granted.fs.read.map((f) => `  read      ${f}`),
    ...granted.fs.write.map((f) => `  write     ${f}`),
    ...(granted.models ?? []).map((m) => `  model     ${m} (generates with it)`),
    ...unset.map((u) => `  (not set) ${u.pattern}: set ${u.keys.join(", ")} with shimmy plugin config ${name} ${u.keys.map((k) => `${k}=…`).join(" ")}`),
  ];
  return lines.length > 0 ? lines : ["  nothing: no network, no files"];
}

function mib(bytes: number): string {
  return `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MiB`;
}

/**
 * The limits a plugin raises above the defaults, one line each, in what they cost: memory per
 * instance (its whole bound, as the manifest reference states it), time per call, response size.
 */
export function formatLimits(limits: PluginLimits): string[] {
  const lines: string[] = [];
  if (limits.memoryMaxPages > LIMIT_DEFAULTS.memoryMaxPages || limits.maxResponseBytes > LIMIT_DEFAULTS.maxResponseBytes) {
    const own = instanceMemory(limits);
    const base = instanceMemory(LIMIT_DEFAULTS);
    lines.push(
      `  memory    up to ${mib(own.total)} per instance, ${HOST_LIMITS.instancesPerPlugin} instances (default ${mib(base.total)}): ${mib(own.wasm)} of wasm memory (${limits.memoryMaxPages} pages)`,
    );
  }
  if (limits.timeoutMs > LIMIT_DEFAULTS.timeoutMs) lines.push(`  time      ${limits.timeoutMs / 1000} s per call (default ${LIMIT_DEFAULTS.timeoutMs / 1000} s)`);
  if (limits.maxResponseBytes > LIMIT_DEFAULTS.maxResponseBytes) {
    lines.push(`  response  ${mib(limits.maxResponseBytes)} per HTTP response, file read and call output (default ${mib(LIMIT_DEFAULTS.maxResponseBytes)})`);
  }
  return lines.length > 0 ? ["It asks for more than the default limits:", ...lines] : [];
}

/** The names of the `kind` capabilities of a manifest, in manifest order. */
export function capabilityNames(manifest: PluginManifest | null | undefined, kind: "tool" | "step" | "embedder"): string[] {
  return (manifest?.capabilities ?? []).filter((c) => c.kind === kind).map((c) => c.name);
}

/** A manifest's tools, workflow steps and embedders, one line each under a heading, as `info` shows them. */
export function capabilityLines(manifest: PluginManifest): string[] {
  const lines: string[] = [];
  for (const [kind, heading] of [["tool", "Tools:"], ["step", "Workflow steps:"]] as const) {
    const shown = manifest.capabilities.filter((c) => c.kind === kind);
    if (shown.length) lines.push(heading, ...shown.map((c) => `  ${c.name}${"title" in c && c.title ? ` (${c.title})` : ""}: ${c.description}`));
  }
  const embedders = manifest.capabilities.filter((c) => c.kind === "embedder");
  if (embedders.length) lines.push("Embedders (models on /v1/embeddings):", ...embedders.map((c) => `  ${manifest.name}/${c.name}: ${embedderSizes(c)}${c.description ? `; ${c.description}` : ""}`));
  return lines;
}

/** An embedder's sizes as `info` shows them: `{config.KEY}` ones name their setting. */
function embedderSizes(c: EmbedderCapability): string {
  const setting = (value: string) => `the ${sizeTemplateKey(value) ?? value} setting`;
  const dimensions = typeof c.dimensions === "string" ? `dimensions from ${setting(c.dimensions)}` : `${c.dimensions} dimensions`;
  const tokens = c.maxInputTokens === undefined ? [] : [typeof c.maxInputTokens === "string" ? `longest text from ${setting(c.maxInputTokens)}` : `up to ${c.maxInputTokens} tokens a text`];
  return [dimensions, ...tokens, `${c.maxBatchSize ?? EMBEDDER_MAX_BATCH_DEFAULT} texts a call`].join(", ");
}

/** What an install would do, as shown before asking. */
export function formatPlan(plan: InstallPlan): string {
  const m = plan.manifest;
  const tools = capabilityNames(m, "tool");
  const steps = capabilityNames(m, "step");
  const embedders = capabilityNames(m, "embedder");
  return [
    `${m.name} ${m.version}: ${m.description}`,
    ...(tools.length ? [`Tools: ${tools.join(", ")}`] : []),
    ...(steps.length ? [`Workflow steps: ${steps.join(", ")}`] : []),
    ...(embedders.length ? [`Embedders: ${embedders.map((e) => `${m.name}/${e}`).join(", ")}`] : []),
    ...(plan.previous ? [`Replaces the installed ${plan.previous.version}.`] : []),
    "It may reach:",
    ...formatPermissions(plan.permissions.granted, plan.permissions.unset, m.name),
    ...formatLimits(m.limits),
    ...(plan.widened.length ? ["New since the installed version:", ...plan.widened.map((w) => `  ${w}`)] : []),
    "",
  ].join("\n");
}

/** `shimmy plugin info NAME` of an installed plugin. */
export function formatInfo(p: InstalledPlugin): string {
  const m = p.manifest;
  const lines = [
    `${p.name} ${p.entry.version}${p.entry.enabled ? "" : " (disabled)"}`,
    ...(m ? [m.description] : [`cannot be read: ${p.problem ?? "unknown"}`]),
    `Installed from ${p.entry.source} at ${p.entry.installedAt}`,
    ...(p.entry.registry ? [`Registry ${p.entry.registry.url}, updates within ${p.entry.registry.range}${p.entry.registry.keyid ? `, signed by ${p.entry.registry.keyid}` : ""}`] : []),
    `Integrity ${p.entry.integrity}`,
  ];
  if (m) lines.push(...capabilityLines(m));
  lines.push("Granted:", ...formatPermissions(p.entry.permissions, [], p.name));
  const settings = Object.entries(p.entry.config).map(([k, v]) => `  ${k} = ${typeof v === "string" ? v : JSON.stringify(v)}`);
  const secrets = p.secretsSet.map((k) => `  ${k} = (secret, set)`);
  lines.push("Settings:", ...(settings.length + secrets.length ? [...settings, ...secrets] : ["  none set"]));
  if (p.missingConfig.length) lines.push(`Required but not set: ${p.missingConfig.join(", ")} (shimmy plugin config ${p.name} ${p.missingConfig.map((k) => `${k}=…`).join(" ")})`);
  return lines.join("\n") + "\n";
}

/** `shimmy plugin list`: one row per plugin. */
export function formatList(plugins: InstalledPlugin[]): string {
  if (plugins.length === 0) return "No plugins installed. Add one with: shimmy plugin add NAME (or install PATH.tgz|DIR)\n";
  const rows = plugins.map((p) => [
    p.name,
    p.entry.version,
    p.loadError ? "error" : p.entry.enabled ? "enabled" : "disabled", // error: the running server cannot run it
    capabilityNames(p.manifest, "tool").join(",") || "-",
    capabilityNames(p.manifest, "step").join(",") || "-",
    capabilityNames(p.manifest, "embedder").join(",") || "-",
  ]);
  return renderTable(["NAME", "VERSION", "STATE", "TOOLS", "STEPS", "EMBEDDERS"], rows);
}

/** `shimmy plugin list --json` of one plugin. */
export function listJson(p: InstalledPlugin): Record<string, unknown> {
  return {
    name: p.name,
    ...p.entry,
    description: p.manifest?.description ?? null,
    tools: capabilityNames(p.manifest, "tool"),
    steps: capabilityNames(p.manifest, "step"),
    embedders: capabilityNames(p.manifest, "embedder"),
    secrets_set: p.secretsSet,
    missing_config: p.missingConfig,
    ...(p.problem ? { problem: p.problem } : {}),
    ...(p.loadError ? { status: "error", error: p.loadError } : {}),
  };
}
