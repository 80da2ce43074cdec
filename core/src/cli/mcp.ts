/**
 * `shimmy mcp`: serves the installed plugins' tools over MCP on stdio, for clients that launch
 * their servers (Claude Desktop, Cursor, VS Code). The plugins of `$SHIMMY_HOME` run in this
 * process, no `shimmy serve` needed; stdout carries only MCP frames, logs go to stderr.
 */
import { parseArgs } from "node:util";
import { LOG_LEVELS, shimmyHome, type LogLevel } from "../config/index.js";
import { createLogger } from "../logger.js";
import { serveMcpStdio } from "../mcp/stdio.js";
import { InstalledPlugins } from "../plugins/installed-plugins.js";
import { storeLayout } from "../plugins/store/layout.js";

/** The text of `shimmy mcp --help`. */
export function mcpUsage(): string {
  return `Usage: shimmy mcp [options]

Serves the tools of the enabled plugins in $SHIMMY_HOME over MCP on stdin/stdout, each in its
sandbox, as "shimmy serve" serves them at /mcp. Plugin changes made with "shimmy plugin" apply
without a restart. Logs go to stderr as JSON lines.

A client's configuration (Claude Desktop, Cursor, VS Code):
  { "mcpServers": { "shimmy": { "command": "shimmy", "args": ["mcp"] } } }

Options:
  --log-level LEVEL       One of ${LOG_LEVELS.join(", ")}. Default: info. Variable: SHIMMY_LOG_LEVEL.
  -h, --help              Print this help.
`;
}

/** Runs `shimmy mcp` until stdin ends or a signal arrives; the exit code (2 for a usage mistake). */
export async function mcpCommand(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let values: { "log-level"?: string; help?: boolean };
  try {
    ({ values } = parseArgs({ args: argv, options: { "log-level": { type: "string" }, help: { type: "boolean", short: "h" } } }));
  } catch (error) {
    process.stderr.write(`shimmy mcp: ${(error as Error).message}\n\n${mcpUsage()}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(mcpUsage());
    return 0;
  }
  const level = values["log-level"] ?? env.SHIMMY_LOG_LEVEL ?? "info";
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    process.stderr.write(`shimmy mcp: --log-level must be one of ${LOG_LEVELS.join(", ")}\n\n${mcpUsage()}`);
    return 2;
  }
  const logger = createLogger(level as LogLevel);
  const plugins = new InstalledPlugins({ layout: storeLayout(shimmyHome(env), env.HOME || undefined), logger });
  // No server address to keep plugins from: this process listens on nothing.
  await plugins.start([]);
  const server = serveMcpStdio({ source: plugins, onError: (err) => logger.warn({ err, event: "mcp_error" }, `MCP: ${err.message}`) });
  logger.info({ event: "mcp_stdio", plugins: plugins.list().map((p) => ({ name: p.name, status: p.status })) }, "serving plugin tools over MCP on stdio");

  await new Promise<void>((resolve) => {
    // The client closing stdin is how stdio servers are told to stop (the MCP stdio binding).
    if (process.stdin.readableEnded) return resolve();
    process.stdin.once("end", () => resolve());
    process.stdin.once("close", () => resolve());
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
  await server.dispose();
  // Plugin workers would keep the process alive: close them before returning.
  await plugins.dispose();
  logger.flush();
  return 0;
}
