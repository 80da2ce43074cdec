#!/usr/bin/env node
/**
 * `shimmy-plugin`: the plugin author's command line.
 *
 *   shimmy-plugin build [DIR]   compile DIR (default: the current folder) to DIR/plugin.wasm
 */
import { realpathSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildPlugin, PluginBuildError } from "./build.js";

const USAGE = `Usage: shimmy-plugin <command> [options]

Commands:
  build [DIR]   Validate DIR/shimmy-plugin.json and compile DIR/assembly/index.ts to
                DIR/plugin.wasm (DIR defaults to the current folder); prints its path and sha256.

Options:
  -h, --help    Show this help.
`;

export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const DEFAULT_IO: CliIO = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/** Runs the CLI with `args` (without node and the script); resolves to the exit code. */
export async function runCli(args: string[], io: CliIO = DEFAULT_IO): Promise<number> {
  const [command, ...rest] = args;
  if (command === undefined || command === "-h" || command === "--help" || command === "help") {
    (command === undefined ? io.stderr : io.stdout)(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command === "build") {
    if (rest.includes("-h") || rest.includes("--help")) {
      io.stdout(USAGE);
      return 0;
    }
    const unknown = rest.filter((a) => a.startsWith("-"));
    if (unknown.length > 0 || rest.length > 1) {
      io.stderr(`shimmy-plugin build: unexpected argument ${unknown[0] ?? rest[1]}\n\n${USAGE}`);
      return 2;
    }
    try {
      const { wasmPath, sha256 } = await buildPlugin(rest[0] ?? ".");
      io.stdout(`${wasmPath}\nsha256 ${sha256}\n`);
      return 0;
    } catch (error) {
      if (error instanceof PluginBuildError) {
        io.stderr(`shimmy-plugin build: ${error.message}\n`);
        return 1;
      }
      throw error;
    }
  }
  io.stderr(`shimmy-plugin: unknown command "${command}"\n\n${USAGE}`);
  return 2;
}

function isMain(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return path.resolve(script) === fileURLToPath(import.meta.url);
  }
}

if (isMain()) {
  runCli(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`shimmy-plugin: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
