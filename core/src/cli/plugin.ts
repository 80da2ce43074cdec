/**
 * `shimmy plugin`: add plugins by name from a registry (or the ones bundled with the core), install
 * packages and source folders, search, inspect, update, configure, enable, disable and remove them,
 * in `$SHIMMY_HOME`. Works on the store's files directly (no server needed); a running server
 * follows the changes by itself, and a command that changed the store waits until the server at
 * `--url` (`SHIMMY_URL`) has applied it, when one runs that store (server-sync.ts). Before a plugin
 * may reach anything new the user is shown what and asked; `--yes` answers for them. Exit codes: 0
 * done, 1 refused or failed, 2 a usage mistake. This file parses and dispatches; the commands that
 * talk to registries are in plugin-add.ts and plugin-registry.ts.
 */
import { parseArgs } from "node:util";
import { ConfigError, DEFAULT_SERVER_URL, serverTarget, shimmyHome, type ServerTarget } from "../config/index.js";
import { storeId, storeLayout, type StoreLayout } from "../plugins/store/layout.js";
import { readLock } from "../plugins/store/lock-file.js";
import { configurePlugin, installedPlugin, listInstalled, removePlugin, setPluginEnabled } from "../plugins/store/store.js";
import { StoreError } from "../plugins/store/store-error.js";
import { RegistryError } from "../registry/registry-error.js";
import { addCommand, type PluginContext } from "./plugin-add.js";
import { formatInfo, formatList, formatPermissions, listJson } from "./plugin-format.js";
import { ask, type PluginCliIO } from "./plugin-io.js";
import { outdatedCommand, registryInfoCommand, searchCommand, updateCommand } from "./plugin-registry.js";
import { SERVER_SYNC_TIMEOUT_MS, waitForServer } from "./server-sync.js";
import { UsageError } from "./usage-error.js";

export { formatLimits, formatPermissions } from "./plugin-format.js";
export type { PluginCliIO } from "./plugin-io.js";

const COMMANDS: [string, string][] = [
  ["add NAME[@RANGE|@TAG]", "Add a plugin from a registry (a bare first-party name: the one bundled with Shimmy); shows what it may reach, its integrity and signer, and asks."],
  ["install NAME|PATH.tgz|DIR", "The same as add; also installs a plugin's package or its source folder."],
  ["search TEXT", "Search the registry (and the bundled plugins)."],
  ["info NAME[@SPEC] [--json]", "An installed plugin's tools, permissions and settings; else the registry's description of it."],
  ["update [NAME...]", "Update plugins added by name to the newest version within their range; asks again if they would reach more."],
  ["outdated [--json]", "List plugins added by name that have a newer version."],
  ["remove NAME", "Remove a plugin, its files and its secret settings."],
  ["list [--json]", "List the installed plugins."],
  ["config NAME [key=value...]", "Set settings (key= unsets one); with none, show them. Asks again if they widen what it may reach."],
  ["enable NAME", "Load the plugin again in running servers."],
  ["disable NAME", "Keep the plugin installed but never load it."],
];

/** The text of `shimmy plugin --help`. */
export function pluginUsage(): string {
  const option = (flag: string, text: string) => `  ${flag.padEnd(30)}${text}`;
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
    option("-y, --yes", "Do not ask: approve what the plugin asks for (add, install, update, config)."),
    option("--json", "Print JSON (list, info, search, outdated)."),
    option("--registry URL", "The registry for names, even first-party ones. Else SHIMMY_REGISTRY, else registries in config.json."),
    option("--accept-new-key", "Accept a registry signing key that differs from the one pinned on first use."),
    option("--url URL", `The running server to wait for after a change. Default: ${DEFAULT_SERVER_URL}. Variable: SHIMMY_URL.`),
    option("--api-key KEY", "Its API key. Variable: SHIMMY_API_KEY."),
    option("-h, --help", "Print this help."),
    "",
  ].join("\n");
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

async function run(ctx: PluginContext, command: string, positionals: string[]): Promise<void> {
  const { layout, io } = ctx;
  switch (command) {
    case "add":
    case "install":
      return addCommand(ctx, one(positionals, "one NAME[@RANGE|@TAG], PATH.tgz or DIR"), command);
    case "search":
      if (positionals.length === 0) throw new UsageError("expected search TEXT");
      return searchCommand(ctx, positionals.join(" "));
    case "update":
      return updateCommand(ctx, positionals);
    case "outdated":
      if (positionals.length) throw new UsageError("outdated takes no arguments");
      return outdatedCommand(ctx);
    case "remove": {
      const name = one(positionals, "a plugin NAME");
      const removed = await removePlugin(layout, name);
      await ctx.sync(removed.generation);
      io.stdout.write(`Removed ${name} ${removed.entry.version}\n`);
      return;
    }
    case "list": {
      if (positionals.length) throw new UsageError("list takes no arguments");
      const plugins = await listInstalled(layout);
      io.stdout.write(ctx.json ? JSON.stringify(plugins.map(listJson), null, 2) + "\n" : formatList(plugins));
      return;
    }
    case "info": {
      const spec = one(positionals, "a plugin NAME");
      // An installed plugin is described from the store, unless a registry or a version is asked for.
      if (ctx.registry || spec.lastIndexOf("@") > 0) return registryInfoCommand(ctx, spec);
      if (!(await readLock(layout)).plugins[spec]) {
        try {
          return await registryInfoCommand(ctx, spec);
        } catch (error) {
          if (!(error instanceof RegistryError) || (error.code !== "not_found" && error.code !== "unreachable" && error.code !== "invalid_spec")) throw error;
          throw new StoreError("not_installed", `no plugin named ${spec} is installed, and ${error.message}`);
        }
      }
      const plugin = await installedPlugin(layout, spec);
      io.stdout.write(ctx.json ? JSON.stringify({ ...listJson(plugin), manifest: plugin.manifest }, null, 2) + "\n" : formatInfo(plugin));
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
        yes: ctx.yes,
        confirm: async (widened) => {
          io.stdout.write([`With these settings ${name} may also reach:`, ...widened.map((w) => `  ${w}`), ""].join("\n"));
          return ask(io, `Allow it? [y/N] `);
        },
      });
      await ctx.sync(result.generation);
      io.stdout.write(`Saved the settings of ${name}.\nIt may reach:\n${formatPermissions(result.permissions.granted, result.permissions.unset, name).join("\n")}\n`);
      return;
    }
    case "enable":
    case "disable": {
      const name = one(positionals, "a plugin NAME");
      await ctx.sync(await setPluginEnabled(layout, name, command === "enable"));
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
        registry: { type: "string" },
        "accept-new-key": { type: "boolean" },
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
    const ctx: PluginContext = {
      layout,
      io,
      yes: parsed.values.yes ?? false,
      json: parsed.values.json ?? false,
      registry: parsed.values.registry,
      acceptNewKey: parsed.values["accept-new-key"] ?? false,
      sync: (generation) => syncServer(layout, target, generation, command, io),
    };
    await run(ctx, command, positionals);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`shimmy plugin ${command}: ${error.message}\n\n${pluginUsage()}`);
      return 2;
    }
    if (error instanceof ConfigError) {
      io.stderr.write(`shimmy plugin ${command}: ${error.message}\n`);
      return 2;
    }
    if (error instanceof StoreError || error instanceof RegistryError) {
      io.stderr.write(`shimmy plugin ${command}: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}
