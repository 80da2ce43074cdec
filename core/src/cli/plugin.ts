/**
 * `shimmy plugin`: install, remove, list, inspect, configure, enable and disable plugins in
 * `$SHIMMY_HOME`. Works on the store's files directly (no server needed); a running server follows
 * the changes by itself, and a command that changed the store waits until the server at `--url`
 * (`SHIMMY_URL`) has applied it, when one runs that store (server-sync.ts). Before a plugin may
 * reach anything new the user is shown what and asked; `--yes` answers for them. Exit codes: 0
 * done, 1 refused or failed, 2 a usage mistake.
 */
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { HOST_LIMITS, instanceMemory, LIMIT_DEFAULTS, type PluginLimits } from "@shimmy/plugin-sdk";
import { DEFAULT_SERVER_URL, serverTarget, shimmyHome, type ServerTarget } from "../config/index.js";
import { installPlugin, type InstallPlan } from "../plugins/store/install.js";
import { storeId, storeLayout, type StoreLayout } from "../plugins/store/layout.js";
import type { GrantedPermissions } from "../plugins/store/lock-file.js";
import type { ResolvedPermissions } from "../plugins/store/permissions.js";
import { configurePlugin, installedPlugin, listInstalled, removePlugin, setPluginEnabled, type InstalledPlugin } from "../plugins/store/store.js";
import { StoreError } from "../plugins/store/store-error.js";
import { CORE_VERSION } from "../version.js";
import { SERVER_SYNC_TIMEOUT_MS, waitForServer } from "./server-sync.js";

/** Where the command reads and writes; `process`'s by default. */
export interface PluginCliIO {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

const COMMANDS: [string, string][] = [
  ["install PATH.tgz|DIR", "Install a plugin from its package or its source folder; shows what it may reach and asks."],
  ["remove NAME", "Remove a plugin, its files and its secret settings."],
  ["list [--json]", "List the installed plugins."],
  ["info NAME [--json]", "Show a plugin's tools, permissions and settings."],
  ["config NAME [key=value...]", "Set settings (key= unsets one); with none, show them. Asks again if they widen what it may reach."],
  ["enable NAME", "Load the plugin again in running servers."],
  ["disable NAME", "Keep the plugin installed but never load it."],
];

/** The text of `shimmy plugin --help`. */
export function pluginUsage(): string {
  return [
    "Usage: shimmy plugin <command> [options]",
    "",
    "Manages the plugins in $SHIMMY_HOME (default ~/.shimmy); a running server picks up every change,",
    "and a command that changes them returns once the server at --url has (when one runs this store).",
    "",
    "Commands:",
    ...COMMANDS.map(([name, text]) => `  ${name.padEnd(30)}${text}`),
    "",
    "Options:",
    `  ${"-y, --yes".padEnd(30)}Do not ask: approve what the plugin asks for (install, config).`,
    `  ${"--json".padEnd(30)}Print JSON (list, info).`,
    `  ${"--url URL".padEnd(30)}The running server to wait for after a change. Default: ${DEFAULT_SERVER_URL}. Variable: SHIMMY_URL.`,
    `  ${"--api-key KEY".padEnd(30)}Its API key. Variable: SHIMMY_API_KEY.`,
    `  ${"-h, --help".padEnd(30)}Print this help.`,
    "",
  ].join("\n");
}

class UsageError extends Error {}

/** Asks a yes/no question on the terminal or a piped stdin; no answer (end of input) is no. */
async function ask(io: PluginCliIO, question: string): Promise<boolean> {
  io.stdout.write(question);
  const lines = createInterface({ input: io.stdin, terminal: false });
  try {
    for await (const line of lines) {
      const answer = line.trim().toLowerCase();
      io.stdout.write(io.stdin.isTTY ? "" : `${line}\n`);
      return answer === "y" || answer === "yes";
    }
    io.stdout.write("\n(no answer: pass --yes to approve without being asked)\n");
    return false;
  } finally {
    lines.close();
  }
}

/** What a plugin may reach, one line each; unset templates say how to set them. */
export function formatPermissions(granted: GrantedPermissions, unset: ResolvedPermissions["unset"] = [], name = "NAME"): string[] {
  const lines = [
    ...granted.net.map((o) => `  network   ${o}`),
    ...granted.fs.read.map((f) => `  read      ${f}`),
    ...granted.fs.write.map((f) => `  write     ${f}`),
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

function formatPlan(plan: InstallPlan): string {
  const m = plan.manifest;
  const tools = m.capabilities.filter((c) => c.kind === "tool").map((c) => c.name);
  return [
    `${m.name} ${m.version}: ${m.description}`,
    ...(tools.length ? [`Tools: ${tools.join(", ")}`] : []),
    ...(plan.previous ? [`Replaces the installed ${plan.previous.version}.`] : []),
    "It may reach:",
    ...formatPermissions(plan.permissions.granted, plan.permissions.unset, m.name),
    ...formatLimits(m.limits),
    ...(plan.widened.length ? ["New since the installed version:", ...plan.widened.map((w) => `  ${w}`)] : []),
    "",
  ].join("\n");
}

function formatInfo(p: InstalledPlugin): string {
  const m = p.manifest;
  const lines = [
    `${p.name} ${p.entry.version}${p.entry.enabled ? "" : " (disabled)"}`,
    ...(m ? [m.description] : [`cannot be read: ${p.problem ?? "unknown"}`]),
    `Installed from ${p.entry.source} at ${p.entry.installedAt}`,
    `Integrity ${p.entry.integrity}`,
  ];
  if (m) {
    lines.push("Tools:");
    for (const c of m.capabilities) if (c.kind === "tool") lines.push(`  ${c.name}${c.title ? ` (${c.title})` : ""}: ${c.description}`);
  }
  lines.push("Granted:", ...formatPermissions(p.entry.permissions, [], p.name));
  const settings = Object.entries(p.entry.config).map(([k, v]) => `  ${k} = ${typeof v === "string" ? v : JSON.stringify(v)}`);
  const secrets = p.secretsSet.map((k) => `  ${k} = (secret, set)`);
  lines.push("Settings:", ...(settings.length + secrets.length ? [...settings, ...secrets] : ["  none set"]));
  if (p.missingConfig.length) lines.push(`Required but not set: ${p.missingConfig.join(", ")} (shimmy plugin config ${p.name} ${p.missingConfig.map((k) => `${k}=…`).join(" ")})`);
  return lines.join("\n") + "\n";
}

function formatList(plugins: InstalledPlugin[]): string {
  if (plugins.length === 0) return "No plugins installed. Install one with: shimmy plugin install PATH.tgz|DIR\n";
  const rows = plugins.map((p) => [
    p.name,
    p.entry.version,
    p.loadError ? "error" : p.entry.enabled ? "enabled" : "disabled", // error: the running server cannot run it
    (p.manifest?.capabilities ?? []).filter((c) => c.kind === "tool").map((c) => c.name).join(",") || "-",
  ]);
  const header = ["NAME", "VERSION", "STATE", "TOOLS"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  return [header, ...rows].map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd((widths[i] as number) + 2))).join("").trimEnd()).join("\n") + "\n";
}

function listJson(p: InstalledPlugin): Record<string, unknown> {
  return {
    name: p.name,
    ...p.entry,
    description: p.manifest?.description ?? null,
    tools: (p.manifest?.capabilities ?? []).filter((c) => c.kind === "tool").map((c) => c.name),
    secrets_set: p.secretsSet,
    missing_config: p.missingConfig,
    ...(p.problem ? { problem: p.problem } : {}),
    ...(p.loadError ? { status: "error", error: p.loadError } : {}),
  };
}

function one(positionals: string[], what: string): string {
  if (positionals.length !== 1) throw new UsageError(`expected ${what}`);
  return positionals[0] as string;
}

/**
 * Waits until the server at `target`, when one runs this store, has applied lock `generation`;
 * says so on stderr when it does not catch up in time (the change is made either way).
 */
async function syncServer(layout: StoreLayout, target: ServerTarget, generation: number, command: string, io: PluginCliIO): Promise<void> {
  const outcome = await waitForServer({ url: target.url, apiKey: target.apiKey, storeId: await storeId(layout), generation });
  if (outcome.state === "behind") {
    const seen = outcome.seen === null ? "it did not answer in time" : `it still runs generation ${outcome.seen} of the store, this change is ${generation}`;
    io.stderr.write(
      `shimmy plugin ${command}: the change is saved, but the server at ${target.url} has not applied it within ${SERVER_SYNC_TIMEOUT_MS / 1000} s (${seen}); it will once its current reload ends. GET /api/plugins shows what it runs.\n`,
    );
  } else if (outcome.state === "failed") {
    io.stderr.write(`shimmy plugin ${command}: the change is saved, but cannot tell whether the server at ${target.url} has applied it: ${outcome.message}\n`);
  }
}

async function run(layout: StoreLayout, command: string, positionals: string[], flags: { yes: boolean; json: boolean; target: ServerTarget }, io: PluginCliIO): Promise<void> {
  const sync = (generation: number) => syncServer(layout, flags.target, generation, command, io);
  switch (command) {
    case "install": {
      const source = one(positionals, "one PATH.tgz or DIR");
      const result = await installPlugin(layout, source, {
        coreVersion: CORE_VERSION,
        yes: flags.yes,
        onProgress: (message) => io.stderr.write(`${message}…\n`),
        confirm: async (plan) => {
          io.stdout.write(formatPlan(plan));
          return ask(io, `Install ${plan.manifest.name} ${plan.manifest.version}? [y/N] `);
        },
      });
      if (flags.yes) io.stdout.write(formatPlan(result.plan));
      await sync(result.generation);
      io.stdout.write(`Installed ${result.name} ${result.entry.version} (${result.entry.integrity})\n`);
      return;
    }
    case "remove": {
      const name = one(positionals, "a plugin NAME");
      const removed = await removePlugin(layout, name);
      await sync(removed.generation);
      io.stdout.write(`Removed ${name} ${removed.entry.version}\n`);
      return;
    }
    case "list": {
      if (positionals.length) throw new UsageError("list takes no arguments");
      const plugins = await listInstalled(layout);
      io.stdout.write(flags.json ? JSON.stringify(plugins.map(listJson), null, 2) + "\n" : formatList(plugins));
      return;
    }
    case "info": {
      const plugin = await installedPlugin(layout, one(positionals, "a plugin NAME"));
      io.stdout.write(flags.json ? JSON.stringify({ ...listJson(plugin), manifest: plugin.manifest }, null, 2) + "\n" : formatInfo(plugin));
      return;
    }
    case "config": {
      const [name, ...assignments] = positionals;
      if (!name) throw new UsageError("expected a plugin NAME, then key=value settings");
      if (assignments.length === 0) {
        io.stdout.write(formatInfo(await installedPlugin(layout, name)));
        return;
      }
      const result = await configurePlugin(layout, name, assignments, {
        yes: flags.yes,
        confirm: async (widened) => {
          io.stdout.write([`With these settings ${name} may also reach:`, ...widened.map((w) => `  ${w}`), ""].join("\n"));
          return ask(io, `Allow it? [y/N] `);
        },
      });
      await sync(result.generation);
      io.stdout.write(`Saved the settings of ${name}.\nIt may reach:\n${formatPermissions(result.permissions.granted, result.permissions.unset, name).join("\n")}\n`);
      return;
    }
    case "enable":
    case "disable": {
      const name = one(positionals, "a plugin NAME");
      await sync(await setPluginEnabled(layout, name, command === "enable"));
      io.stdout.write(`${command === "enable" ? "Enabled" : "Disabled"} ${name}\n`);
      return;
    }
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

/** Runs `shimmy plugin ARGS`; resolves to the exit code. */
export async function pluginCommand(args: string[], io: PluginCliIO = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env }): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        yes: { type: "boolean", short: "y" },
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
        url: { type: "string" },
        "api-key": { type: "string" },
      },
    });
  } catch (error) {
    io.stderr.write(`shimmy plugin: ${(error as Error).message}\n\n${pluginUsage()}`);
    return 2;
  }
  const [command, ...positionals] = parsed.positionals;
  if (parsed.values.help || command === undefined || command === "help") {
    (command === undefined && !parsed.values.help ? io.stderr : io.stdout).write(pluginUsage());
    return command === undefined && !parsed.values.help ? 2 : 0;
  }
  const layout = storeLayout(shimmyHome(io.env), io.env.HOME || undefined);
  try {
    const target = serverTarget({ ...(parsed.values.url ? { url: parsed.values.url } : {}), ...(parsed.values["api-key"] ? { apiKey: parsed.values["api-key"] } : {}) }, io.env);
    await run(layout, command, positionals, { yes: parsed.values.yes ?? false, json: parsed.values.json ?? false, target }, io);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`shimmy plugin ${command}: ${error.message}\n\n${pluginUsage()}`);
      return 2;
    }
    if (error instanceof StoreError) {
      io.stderr.write(`shimmy plugin ${command}: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}
