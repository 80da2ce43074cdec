/**
 * `shimmy run MODEL [PROMPT]`: a chat in the terminal, or one answer for a script. It talks to a
 * running server through `POST /v1/chat/completions`; when none answers at the URL, it starts one
 * in this process on a free loopback port, with the `shimmy serve` options it was given, and stops
 * it on exit. Answers go to stdout as they are written; everything else goes to stderr.
 * Exit codes: 0 done, 1 the server refused or could not be reached, 2 a usage mistake.
 */
import path from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_SERVER_URL, serverTarget, shimmyHome } from "../config/environment.js";
import { SERVE_OPTIONS } from "../config/options.js";
import type { RunningServer } from "../server.js";
import { ApiClient, ApiError, ConnectionError, type ChatMessage } from "./api-client.js";
import { ChatRepl, type CompletionSource } from "./chat-repl.js";
import { createProgress } from "./progress.js";
import { RUN_HISTORY_FILE, readRunHistory, writeRunHistory } from "./run-history.js";
import { checkServerUrl, UsageError } from "./usage-error.js";

/** Where `shimmy run` reads and writes; `process`'s by default. */
export interface RunIO {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  env: NodeJS.ProcessEnv;
}

const RUN_OPTIONS = [
  ["--system TEXT", "The system message."],
  ["--max-tokens N", "The most tokens of each answer."],
  ["--temperature X", "Sampling temperature, 0 to 2."],
  ["--seed N", "Sampling seed, for repeatable answers."],
  ["--json", "With a PROMPT: print the whole completion object (not streamed)."],
  ["--url URL", `The server. Default: ${DEFAULT_SERVER_URL}. Variable: SHIMMY_URL.`],
  ["--api-key KEY", "Sent as \"Authorization: Bearer KEY\". Variable: SHIMMY_API_KEY."],
  ["-h, --help", "Print this help."],
] as const;

// The server this command starts listens on a free loopback port, so these are not its to set.
const NOT_FORWARDED = new Set(["host", "port"]);
// `--api-key` is both the key sent and the key the started server requires: the same key.
const SERVE_FLAGS = new Map(SERVE_OPTIONS.filter((spec) => !NOT_FORWARDED.has(spec.flag)).map((spec) => [spec.flag, spec.type]));

/** The text of `shimmy run --help`. */
export function runUsage(): string {
  return [
    "Usage: shimmy run MODEL [PROMPT] [options]",
    "",
    "Chats with MODEL in the terminal, each answer streamed as it is written. With a PROMPT, or with",
    "stdin piped, it answers once, writes only the answer to stdout, and exits (stdin comes first).",
    "",
    "In the chat: /help, /system TEXT, /clear, /bye (or Ctrl-D). A line ending in \\ continues, \"\"\"",
    "opens and closes a block. Ctrl-C stops the answer being written. History: $SHIMMY_HOME/run_history.",
    "",
    "Options:",
    ...RUN_OPTIONS.map(([flag, text]) => `  ${flag.padEnd(20)}${text}`),
    "",
    "When no server answers at the URL, one starts in this process on a free loopback port and stops",
    "on exit. It takes every shimmy serve option but --host and --port (shimmy serve --help), such as",
    "--model FILE, --no-discovery, --threads N; its --log-level is error unless given.",
    "",
    "Examples:",
    "  npx shimmy run stories260K",
    "  echo \"Tell me a story\" | npx shimmy run stories260K --max-tokens 60",
    "",
  ].join("\n");
}

/** A parsed command line. */
interface Invocation {
  model: string;
  /** The PROMPT words joined; null when none was given. */
  prompt: string | null;
  url: string;
  apiKey: string | null;
  system: string | null;
  sampling: { max_tokens?: number; temperature?: number; seed?: number };
  json: boolean;
  /** The `shimmy serve` options, as given, for a server started here. */
  serveArgs: string[];
}

/** Moves the `shimmy serve` options (and their values) out of `argv`. */
function splitServeArgs(argv: readonly string[]): { own: string[]; serve: string[] } {
  const own: string[] = [];
  const serve: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      own.push(...argv.slice(i));
      break;
    }
    const flag = /^--([^=]+)/.exec(arg)?.[1];
    // `--api-key` stays with this command's options: the client needs it too.
    if (flag === undefined || flag === "api-key" || !SERVE_FLAGS.has(flag)) {
      own.push(arg);
      continue;
    }
    serve.push(arg);
    if (SERVE_FLAGS.get(flag) !== "boolean" && !arg.includes("=") && i + 1 < argv.length) serve.push(argv[++i]!);
  }
  return { own, serve };
}

function parseNumber(flag: string, raw: string | undefined, integer: boolean, minimum: number): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(value) || (integer && !Number.isInteger(value)) || value < minimum) {
    throw new UsageError(`${flag} must be ${integer ? "a whole number" : "a number"} of at least ${minimum}, got "${raw}"`);
  }
  return value;
}

function parseInvocation(argv: readonly string[], env: RunIO["env"]): Invocation | "help" {
  const { own, serve } = splitServeArgs(argv);
  let parsed;
  try {
    parsed = parseArgs({
      args: own,
      strict: true,
      allowPositionals: true,
      options: {
        system: { type: "string" },
        "max-tokens": { type: "string" },
        temperature: { type: "string" },
        seed: { type: "string" },
        json: { type: "boolean" },
        url: { type: "string" },
        "api-key": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const values = parsed.values;
  if (values.help) return "help";
  const [model, ...words] = parsed.positionals;
  if (model === undefined || model.trim() === "") throw new UsageError("expects a MODEL");
  const { url, apiKey } = serverTarget({ url: values.url, apiKey: values["api-key"] }, env);
  checkServerUrl(url);
  const sampling: Invocation["sampling"] = {};
  const maxTokens = parseNumber("--max-tokens", values["max-tokens"], true, 1);
  const temperature = parseNumber("--temperature", values.temperature, false, 0);
  const seed = parseNumber("--seed", values.seed, true, 0);
  if (maxTokens !== undefined) sampling.max_tokens = maxTokens;
  if (temperature !== undefined) sampling.temperature = temperature;
  if (seed !== undefined) sampling.seed = seed;
  return {
    model,
    prompt: words.length > 0 ? words.join(" ") : null,
    url,
    apiKey,
    system: values.system ?? null,
    sampling,
    json: values.json === true,
    serveArgs: serve,
  };
}

function processIO(): RunIO {
  return { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env };
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * Runs `shimmy run ARGV…` and resolves with the exit code: 0 done (130 when Ctrl-C stopped a
 * one-shot answer), 1 the server refused or could not be reached, 2 a usage mistake.
 * A failure to start the in-process server is thrown, for the CLI's one failure report.
 */
export async function runCommand(argv: string[], io: RunIO = processIO()): Promise<number> {
  let invocation: Invocation | "help";
  try {
    invocation = parseInvocation(argv, io.env);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.stderr.write(`shimmy run: ${err.message}; see shimmy run --help\n`);
    return 2;
  }
  if (invocation === "help") {
    io.stdout.write(runUsage());
    return 0;
  }
  const oneShot = invocation.prompt !== null || io.stdin.isTTY !== true;
  let question = invocation.prompt ?? "";
  if (io.stdin.isTTY !== true) {
    // As Ollama's: piped input comes first, so `cat notes.txt | shimmy run M "Summarize this"` reads well.
    const piped = (await readAll(io.stdin)).trim();
    question = [piped, question].filter((part) => part !== "").join("\n\n");
  }
  if (oneShot && question.trim() === "") {
    io.stderr.write("shimmy run: nothing to ask: give a PROMPT, or pipe one on stdin; see shimmy run --help\n");
    return 2;
  }

  let server: RunningServer | null = null;
  try {
    const connection = await connect(invocation, io);
    server = connection.server;
    if (oneShot) return await answerOnce(connection.client, invocation, question, io);
    return await chat(connection.client, invocation, io);
  } catch (err) {
    if (!(err instanceof ApiError || err instanceof ConnectionError)) throw err;
    io.stderr.write(`shimmy: ${err.message}\n`);
    return 1;
  } finally {
    await server?.close();
  }
}

/** The server to talk to: the one at the URL, else one started here. */
async function connect(invocation: Invocation, io: RunIO): Promise<{ client: ApiClient; server: RunningServer | null }> {
  const client = new ApiClient({ url: invocation.url, apiKey: invocation.apiKey });
  try {
    await client.health();
    if (invocation.serveArgs.length > 0) {
      io.stderr.write(`shimmy: a server answers at ${client.url}; ${invocation.serveArgs.filter((a) => a.startsWith("--")).join(", ")} only apply to a server this command starts\n`);
    }
    return { client, server: null };
  } catch (err) {
    if (!(err instanceof ConnectionError && err.reason === "refused")) throw err;
  }
  // Loaded only now: the server pulls in llama.cpp, which talking to a running server never needs.
  const [{ loadServeConfig }, { createLogger }, { startServer }] = await Promise.all([
    import("../config/load-config.js"),
    import("../logger.js"),
    import("../server.js"),
  ]);
  const args = [...invocation.serveArgs];
  // JSON log lines would get in the way of the chat; errors still show.
  if (!args.some((arg) => arg === "--log-level" || arg.startsWith("--log-level="))) args.push("--log-level", "error");
  const loaded = loadServeConfig({ argv: [...args, "--host", "127.0.0.1", "--port", "0"], env: io.env });
  if (loaded.help) throw new Error("unreachable: --help is not forwarded");
  const logger = createLogger(loaded.config.logLevel, loaded.config.logFormat);
  // No Ollama listener for a private in-process server, whatever config.json says: its port may be taken.
  const config = { ...loaded.config, ollamaPort: null, ollamaApi: false };
  const server = await startServer({ config, logger, home: loaded.home, aliases: loaded.aliases, defaultPlugins: loaded.defaultPlugins });
  io.stderr.write(`shimmy: no server answered at ${client.url}; started one in this process at ${server.url} (it stops on exit)\n`);
  return { client: new ApiClient({ url: server.url, apiKey: loaded.config.apiKey ?? invocation.apiKey }), server };
}

function conversation(invocation: Invocation, question: string): ChatMessage[] {
  const user: ChatMessage = { role: "user", content: question };
  return invocation.system === null ? [user] : [{ role: "system", content: invocation.system }, user];
}

/** One answer to stdout; Ctrl-C stops it (exit 130, as a shell reports SIGINT). */
async function answerOnce(client: ApiClient, invocation: Invocation, question: string, io: RunIO): Promise<number> {
  const body = { model: invocation.model, messages: conversation(invocation, question), ...invocation.sampling };
  if (invocation.json) {
    io.stdout.write(JSON.stringify(await client.chat(body)) + "\n");
    return 0;
  }
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once("SIGINT", stop);
  let last = "";
  try {
    const result = await client.streamChat(body, {
      signal: controller.signal,
      onText: (text) => {
        last = text;
        io.stdout.write(text);
      },
    });
    if (last !== "" && !last.endsWith("\n")) io.stdout.write("\n");
    return result.stopped ? 130 : 0;
  } finally {
    process.removeListener("SIGINT", stop);
  }
}

/** The interactive chat: loads the model first (an unknown one fails before the prompt), then the REPL. */
async function chat(client: ApiClient, invocation: Invocation, io: RunIO): Promise<number> {
  const progress = createProgress({ label: `loading ${invocation.model}`, stream: io.stderr });
  try {
    await client.loadModel(invocation.model, { onProgress: (fraction) => progress.update(fraction) });
  } finally {
    progress.finish();
  }
  const historyFile = path.join(shimmyHome(io.env), RUN_HISTORY_FILE);
  const complete: CompletionSource = (messages, request) =>
    client.streamChat({ model: invocation.model, messages, ...invocation.sampling }, { onText: request.onText, signal: request.signal });
  const repl = new ChatRepl({
    input: io.stdin,
    output: io.stdout,
    errorOutput: io.stderr,
    complete,
    system: invocation.system,
    terminal: io.stdin.isTTY === true && io.stdout.isTTY === true,
    history: readRunHistory(historyFile),
    onHistory: (lines) => {
      try {
        writeRunHistory(historyFile, lines);
      } catch (err) {
        // A history that cannot be kept is no reason to end the chat.
        io.stderr.write(`shimmy: cannot write ${historyFile}: ${(err as Error).message}\n`);
      }
    },
  });
  // Without a terminal, Ctrl-C is a signal rather than a key; it does the same.
  const interrupt = () => repl.interrupt();
  process.on("SIGINT", interrupt);
  io.stderr.write("Type /help for the commands, /bye or Ctrl-D to exit.\n");
  try {
    await repl.run();
  } finally {
    process.removeListener("SIGINT", interrupt);
  }
  return 0;
}
