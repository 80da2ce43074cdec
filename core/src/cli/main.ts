/** The `shimmy` command: dispatches to one file per command group. */
import { CORE_VERSION } from "../version.js";
import { reportFailure, wantsDebug } from "./report-error.js";

const USAGE = `Usage: shimmy <command> [options]

Commands:
  serve      Serve GGUF models over an OpenAI-compatible API (shimmy serve --help)
  run        Chat with a model in the terminal, or answer one prompt (shimmy run --help)
  models     List, discover, load and unload the models of a running server (shimmy models --help)
  pull       Download a GGUF model from Hugging Face (shimmy pull --help)
  show       Print a model's architecture, size, quantization and chat template (shimmy show --help)
  rm         Delete a model that shimmy pull downloaded (shimmy rm --help)
  plugin     Install, configure, list and remove plugins (shimmy plugin --help)
  workflow   Run workflows on a running server and look at their runs (shimmy workflow --help)
  mcp        Serve the plugins' tools over MCP on stdio, for MCP clients (shimmy mcp --help)
  db         Back up the state database (shimmy db --help)
  conversations  List, show and remove stored conversations (shimmy conversations --help)
  vectors    Create, fill and search vector stores on a running server (shimmy vectors --help)

Options:
  -h, --help     Print this help
  -v, --version  Print the version
`;

/**
 * Runs the CLI; the exit code says how it went (2 for a usage or configuration mistake, 1 for a
 * failure). Every failure is one line on stderr; only a bug's stack is printed, with --log-level debug.
 */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      // Loaded on demand: `serve` pulls in llama.cpp, which the client commands never need.
      case "serve":
        await (await import("./serve.js")).serveCommand(rest);
        return 0;
      case "run":
        return await (await import("./run.js")).runCommand(rest);
      case "models":
        return await (await import("./models.js")).modelsCommand(rest);
      case "pull":
        return await (await import("./pull.js")).pullCommand(rest);
      case "show":
        return await (await import("./show.js")).showCommand(rest);
      case "rm":
        return await (await import("./rm.js")).rmCommand(rest);
      case "plugin":
      case "plugins":
        return await (await import("./plugin.js")).pluginCommand(rest);
      case "workflow":
      case "workflows":
        return await (await import("./workflow.js")).workflowCommand(rest);
      case "mcp":
        return await (await import("./mcp.js")).mcpCommand(rest);
      case "db":
        return await (await import("./db.js")).dbCommand(rest);
      case "conversations":
        return await (await import("./conversations.js")).conversationsCommand(rest);
      case "vectors":
        return await (await import("./vectors.js")).vectorsCommand(rest);
      case "-v":
      case "--version":
        process.stdout.write(CORE_VERSION + "\n");
        return 0;
      case undefined:
      case "-h":
      case "--help":
      case "help":
        process.stdout.write(USAGE);
        return 0;
      default:
        process.stderr.write(`shimmy: unknown command "${command}"\n\n${USAGE}`);
        return 2;
    }
  } catch (err) {
    const report = reportFailure(err, { command, debug: wantsDebug(rest) });
    process.stderr.write(report.text);
    return report.exitCode;
  }
}

process.exitCode = await main(process.argv.slice(2));
