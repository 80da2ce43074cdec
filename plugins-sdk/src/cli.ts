#!/usr/bin/env node
/**
 * `shimmy-plugin`: the plugin author's command line.
 *
 *   shimmy-plugin init NAME [--dir DIR] [--kind tool|step|embedder]  a new plugin folder with one tool (or step) and examples
 *   shimmy-plugin build [DIR]                    compile DIR (default: the current folder) to DIR/plugin.wasm
 *   shimmy-plugin test [DIR] [--config K=V]...   build, then run the manifest's examples in the real host
 *   shimmy-plugin pack [DIR] [--out FILE] [--json]  build, then write NAME-VERSION.tgz in npm's layout
 *   shimmy-plugin publish [DIR] [--registry URL] [--token T] [--tag T] [--json]  pack, then publish as npm does
 *   shimmy-plugin login [--registry URL] [--token T | --user NAME --password P]  check and store a registry token
 */
import { realpathSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildPlugin, PluginBuildError } from "./build.js";
import { formatExamples, runExamples } from "./examples.js";
import { INIT_KINDS, initPlugin, PluginInitError, type InitKind } from "./init.js";
import { CredentialsError, DEFAULT_REGISTRY, resolveRegistry, resolveToken, shimmyHome, type RegistryEnv } from "./credentials.js";
import { loginRegistry } from "./login.js";
import { packPlugin } from "./pack.js";
import { DEFAULT_TAG, isValidTag, publishPlugin } from "./publish.js";
import { RegistryRequestError } from "./registry-client.js";

const USAGE = `Usage: shimmy-plugin <command> [options]

Commands:
  init NAME [--dir DIR] [--kind tool|step|embedder]
                Create a plugin NAME (npm's name rules, optionally @owner/name) in DIR
                (default: ./NAME, without the scope): a manifest with one tool and an example,
                assembly/index.ts, README.md and .gitignore. DIR must be absent or empty.
                --kind step writes a workflow step plugin instead (one step and its examples);
                --kind embedder an embedder plugin (one embedder, served as NAME/EMBEDDER on
                /v1/embeddings, and its examples).
  build [DIR]   Validate DIR/shimmy-plugin.json and compile DIR/assembly/index.ts to
                DIR/plugin.wasm (DIR defaults to the current folder); prints its path and sha256.
  test [DIR] [--config KEY=VALUE]...
                Build, load plugin.wasm in Shimmy's plugin host and call every example of the
                manifest, comparing outputs; one line per example, exit 1 if any fails.
  pack [DIR] [--out FILE] [--json]
                Build, then write NAME-VERSION.tgz (npm's layout: package/package.json,
                shimmy-plugin.json, plugin.wasm, README.md) to DIR or FILE; prints its path, its
                sha512 integrity and plugin.wasm's sha256 (--json: {file, integrity, wasmSha256, size}).
  publish [DIR] [--registry URL] [--token TOKEN] [--tag TAG] [--json]
                Build and pack as pack does, then publish the tarball as npm does (PUT /NAME) and
                point TAG (default ${DEFAULT_TAG}) at it; prints NAME@VERSION and its integrity
                (--json: {name, version, tag, integrity, shasum, tarball, size, registry}).
                Versions are immutable: publish a new one by bumping "version".
  login [--registry URL] [--token TOKEN | --user NAME --password PASSWORD]
                Check a token with the registry (GET /-/whoami), print its owner and store it in
                $SHIMMY_HOME/secrets.json (mode 0600) for that registry. Without --token the
                token is read from stdin (one line); with --user and --password, a registry with
                open registration makes (or logs in) that user and hands out the token.

Registry options:
  --registry URL  The registry; else SHIMMY_REGISTRY, else ${DEFAULT_REGISTRY}.
  --token TOKEN   The token; else SHIMMY_REGISTRY_TOKEN, else the one login stored.

Options:
  -h, --help    Show this help.
`;

export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** The variables `publish` and `login` read. @default process.env */
  env?: RegistryEnv;
  /** One line of standard input (`login` reads its token there). @default the process's stdin */
  readLine?: () => Promise<string>;
}

/** The first line of the process's stdin (a prompt on stderr when it is a terminal). */
async function readStdinLine(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write("token: ");
  let text = "";
  for await (const chunk of process.stdin) {
    text += String(chunk);
    if (text.includes("\n")) break;
  }
  return text.split(/\r?\n/)[0]!;
}

const DEFAULT_IO: CliIO = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

const COMMANDS = new Set(["init", "build", "test", "pack", "publish", "login"]);

/** Per command: options taking a value (repeatable) and flags. */
const OPTIONS: Record<string, { values: string[]; flags: string[] }> = {
  init: { values: ["--dir", "--kind"], flags: [] },
  build: { values: [], flags: [] },
  test: { values: ["--config"], flags: [] },
  pack: { values: ["--out"], flags: ["--json"] },
  publish: { values: ["--registry", "--token", "--tag"], flags: ["--json"] },
  login: { values: ["--registry", "--token", "--user", "--password"], flags: [] },
};

interface ParsedArgs {
  positionals: string[];
  values: Map<string, string[]>;
  flags: Set<string>;
}

/** Splits `args` into positionals, `--opt VALUE` / `--opt=VALUE` values and flags; a string is the error. */
function parseArgs(args: string[], spec: { values: string[]; flags: string[] }): ParsedArgs | string {
  const parsed: ParsedArgs = { positionals: [], values: new Map(), flags: new Set() };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith("-") || arg === "-") {
      parsed.positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const key = eq > 0 ? arg.slice(0, eq) : arg;
    if (spec.flags.includes(key) && eq < 0) {
      parsed.flags.add(key);
    } else if (spec.values.includes(key)) {
      const value = eq > 0 ? arg.slice(eq + 1) : args[++i];
      if (value === undefined) return `${key} needs a value`;
      parsed.values.set(key, [...(parsed.values.get(key) ?? []), value]);
    } else {
      return `unexpected argument ${arg}`;
    }
  }
  return parsed;
}

/** Runs the CLI with `args` (without node and the script); resolves to the exit code. */
export async function runCli(args: string[], io: CliIO = DEFAULT_IO): Promise<number> {
  const [command, ...rest] = args;
  if (command === undefined || command === "-h" || command === "--help" || command === "help") {
    (command === undefined ? io.stderr : io.stdout)(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (!COMMANDS.has(command)) {
    io.stderr(`shimmy-plugin: unknown command "${command}"\n\n${USAGE}`);
    return 2;
  }
  if (rest.includes("-h") || rest.includes("--help")) {
    io.stdout(USAGE);
    return 0;
  }
  const parsed = parseArgs(rest, OPTIONS[command]!);
  if (typeof parsed === "string") {
    io.stderr(`shimmy-plugin ${command}: ${parsed}\n\n${USAGE}`);
    return 2;
  }
  const { positionals, values, flags } = parsed;
  const last = (key: string): string | undefined => values.get(key)?.at(-1);
  const maxPositionals = command === "login" ? 0 : 1;
  if (positionals.length > maxPositionals) {
    io.stderr(`shimmy-plugin ${command}: unexpected argument ${positionals[maxPositionals]}\n\n${USAGE}`);
    return 2;
  }
  try {
    switch (command) {
      case "build": {
        const { wasmPath, sha256 } = await buildPlugin(positionals[0] ?? ".");
        io.stdout(`${wasmPath}\nsha256 ${sha256}\n`);
        return 0;
      }
      case "init": {
        const name = positionals[0];
        if (name === undefined) {
          io.stderr(`shimmy-plugin init: missing NAME\n\n${USAGE}`);
          return 2;
        }
        const dirs = values.get("--dir") ?? [];
        const kind = last("--kind") ?? "tool";
        if (!(INIT_KINDS as readonly string[]).includes(kind)) {
          io.stderr(`shimmy-plugin init: --kind takes ${INIT_KINDS.join(", ")}, not ${JSON.stringify(kind)}\n\n${USAGE}`);
          return 2;
        }
        const { dir, files } = await initPlugin(name, { ...(dirs.length > 0 ? { dir: dirs[dirs.length - 1]! } : {}), kind: kind as InitKind });
        io.stdout(`${dir}\n${files.map((f) => `  ${f}\n`).join("")}Next: shimmy-plugin test ${dir}\n`);
        return 0;
      }
      case "test": {
        const config: Record<string, string> = {};
        for (const pair of values.get("--config") ?? []) {
          const eq = pair.indexOf("=");
          if (eq <= 0) {
            io.stderr(`shimmy-plugin test: --config takes KEY=VALUE, not ${JSON.stringify(pair)}\n`);
            return 2;
          }
          config[pair.slice(0, eq)] = pair.slice(eq + 1);
        }
        const report = await runExamples(positionals[0] ?? ".", { config });
        io.stdout(formatExamples(report));
        const failed = report.results.some((r) => !r.ok);
        if (failed && report.log.length > 0) io.stderr(`host log:\n${report.log.map((l) => `  ${l}\n`).join("")}`);
        return failed ? 1 : 0;
      }
      case "publish":
      case "login":
        return await registryCommand(command, positionals[0] ?? ".", last, flags, io);
      case "pack": {
        const outs = values.get("--out") ?? [];
        const result = await packPlugin(positionals[0] ?? ".", outs.length > 0 ? { out: outs[outs.length - 1]! } : {});
        const { file, integrity, wasmSha256, size } = result;
        io.stdout(flags.has("--json") ? `${JSON.stringify({ file, integrity, wasmSha256, size })}\n` : `${file}\nintegrity ${integrity}\nwasm sha256 ${wasmSha256}\nsize ${size}\n`);
        return 0;
      }
    }
  } catch (error) {
    if (error instanceof PluginBuildError || error instanceof PluginInitError || error instanceof RegistryRequestError || error instanceof CredentialsError) {
      io.stderr(`shimmy-plugin ${command}: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
  io.stderr(`shimmy-plugin: unknown command "${command}"\n\n${USAGE}`);
  return 2;
}

/** `publish` and `login`: usage mistakes exit 2 before anything is built or sent. */
async function registryCommand(command: "publish" | "login", dir: string, last: (key: string) => string | undefined, flags: Set<string>, io: CliIO): Promise<number> {
  const env = io.env ?? (process.env as RegistryEnv);
  const usage = (message: string): number => {
    io.stderr(`shimmy-plugin ${command}: ${message}\n\n${USAGE}`);
    return 2;
  };
  let registry: string;
  try {
    registry = resolveRegistry(last("--registry"), env);
  } catch (error) {
    if (error instanceof CredentialsError) return usage(error.message);
    throw error;
  }
  const home = shimmyHome(env);
  if (command === "publish") {
    const tag = last("--tag") ?? DEFAULT_TAG;
    if (!isValidTag(tag)) return usage(`--tag ${JSON.stringify(tag)} is not a dist-tag: a name such as "latest" or "beta", never a version or range`);
    const token = await resolveToken(last("--token"), env, registry, home);
    if (!token) {
      io.stderr(`shimmy-plugin publish: no token for ${registry}\n  run shimmy-plugin login --registry ${registry}, or pass --token, or set SHIMMY_REGISTRY_TOKEN\n`);
      return 1;
    }
    const result = await publishPlugin(dir, { registry, token, tag });
    io.stdout(flags.has("--json") ? `${JSON.stringify(result)}\n` : `published ${result.name}@${result.version} to ${registry} (dist-tag ${result.tag})\nintegrity ${result.integrity}\n`);
    return 0;
  }
  const user = last("--user");
  const password = last("--password");
  let token = last("--token");
  if (token !== undefined && user !== undefined) return usage("give --token or --user, not both");
  if ((user === undefined) !== (password === undefined)) return usage("--user and --password go together");
  if (token === undefined && user === undefined) {
    token = (await (io.readLine ?? readStdinLine)()).trim();
    if (token === "") return usage("no token: pass --token TOKEN, or write it on stdin (one line), or use --user and --password");
  }
  const result = await loginRegistry({ registry, home, ...(token !== undefined ? { token } : { user: user!, password: password! }) });
  io.stdout(`logged in to ${registry} as ${result.owner}\ntoken stored in ${result.file}\n`);
  return 0;
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
