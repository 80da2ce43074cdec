/**
 * What bench/runner-lifecycle.ts needs around one `shimmy serve`: the server started with its own
 * temporary homes and its JSON log read, killed by pid whatever happens to the benchmark; streamed
 * chat requests timed token by token; and the kernel's word (/proc) on a process: its state, its
 * children, its resident memory.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { sseEvents } from "../core/src/routing/upstreams/sse-events.js";
import { homeEnv } from "../test/helpers/shimmy-process.js";

/** A `shimmy serve` this benchmark started. */
export interface LifecycleServer {
  url: string;
  /** The server's own process (the launcher imports the CLI in-process: no wrapper in between). */
  pid: number;
  /** Every JSON line logged so far. */
  logs: Record<string, unknown>[];
  /** SIGTERM, then SIGKILL after 5 s; removes the temporary home. Safe to call twice. */
  stop(): Promise<void>;
}

/** Bound on the server's start (a loaded machine can take long to load llama.cpp's binary check). */
const START_TIMEOUT_MS = 120_000;

/** Starts `node core/bin/shimmy.cjs serve --port 0 --log-level info ARGS` with every home in a temporary folder. */
export async function startLifecycleServer(root: string, args: string[]): Promise<LifecycleServer> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "shimmy-bench-lifecycle-"));
  const child = spawn(process.execPath, [path.join(root, "core/bin/shimmy.cjs"), "serve", "--port", "0", "--log-level", "info", ...args], {
    cwd: home,
    env: homeEnv(home),
    stdio: ["ignore", "pipe", "pipe"],
  });
  // Whatever ends this benchmark (an exception, Ctrl-C), the server goes with it: by pid, synchronously.
  const killNow = () => killQuietly(child);
  process.once("exit", killNow);
  const logs: Record<string, unknown>[] = [];
  readline.createInterface({ input: child.stderr! }).on("line", (line) => {
    try {
      logs.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      logs.push({ raw: line });
    }
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => killQuietly(child), 5_000);
      await exited;
      clearTimeout(timer);
    }
    process.off("exit", killNow);
    fs.rmSync(home, { recursive: true, force: true });
  };
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`shimmy did not listen within ${START_TIMEOUT_MS} ms: ${JSON.stringify(logs.slice(-5))}`)), START_TIMEOUT_MS);
      readline.createInterface({ input: child.stdout! }).once("line", (line) => {
        clearTimeout(timer);
        resolve((JSON.parse(line) as { url: string }).url);
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`shimmy exited with ${code} before listening: ${JSON.stringify(logs.slice(-5))}`));
      });
    });
    return { url, pid: child.pid!, logs, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

function killQuietly(child: ChildProcess): void {
  if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
}

/** What one streamed chat request saw. */
export interface StreamOutcome {
  /** From sending the request to its first content delta; NaN when none came. */
  ttftMs: number;
  /** Content deltas received (one per token from Shimmy). */
  deltas: number;
  /** `usage.completion_tokens` of the last chunk, when sent. */
  usageTokens: number | null;
  finishReason: string | null;
  /** The `error` event's code (the stream's last event on failure), or the HTTP failure. */
  error: { code: string; message: string } | null;
}

/** A streamed chat request under way. */
export interface RunningStream {
  /** Resolves on the first content delta (rejects if the stream ends first). */
  firstToken: Promise<void>;
  done: Promise<StreamOutcome>;
}

/** Starts a streamed chat completion of `maxTokens` tokens, bounded by `timeoutMs`. */
export function streamChat(url: string, body: Record<string, unknown>, timeoutMs: number): RunningStream {
  let markFirst!: () => void;
  let failFirst!: (err: Error) => void;
  const firstToken = new Promise<void>((resolve, reject) => {
    markFirst = resolve;
    failFirst = reject;
  });
  firstToken.catch(() => undefined);
  const done = (async (): Promise<StreamOutcome> => {
    const started = performance.now();
    const outcome: StreamOutcome = { ttftMs: Number.NaN, deltas: 0, usageTokens: null, finishReason: null, error: null };
    try {
      const response = await fetch(`${url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ ...body, stream: true, stream_options: { include_usage: true } }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (!response.ok || !response.body) {
        const text = await response.text();
        const error = (JSON.parse(text) as { error?: { code: string; message: string } }).error;
        outcome.error = { code: error?.code ?? `http_${response.status}`, message: `${response.status} ${error?.message ?? text}` };
        return outcome;
      }
      type Chunk = {
        choices?: { delta?: { content?: string }; finish_reason?: string | null }[];
        usage?: { completion_tokens: number } | null;
        error?: { code: string; message: string };
      };
      for await (const event of sseEvents(response.body)) {
        const chunk = event as Chunk;
        if (chunk.error) outcome.error = { code: chunk.error.code, message: chunk.error.message };
        const choice = chunk.choices?.[0];
        if (choice?.delta?.content && outcome.deltas++ === 0) {
          outcome.ttftMs = performance.now() - started;
          markFirst();
        }
        if (choice?.finish_reason) outcome.finishReason = choice.finish_reason;
        if (chunk.usage) outcome.usageTokens = chunk.usage.completion_tokens;
      }
    } catch (err) {
      outcome.error ??= { code: "client_error", message: (err as Error).message };
    }
    failFirst(new Error(`the stream ended before its first token: ${JSON.stringify(outcome.error)}`));
    return outcome;
  })();
  return { firstToken, done };
}

/** A process as /proc shows it: its state letter (`R`, `S`, `Z` for a zombie…) and its parent. */
export interface ProcState {
  state: string;
  ppid: number;
}

/** The process's state, or null when /proc has no such process. */
export function procState(pid: number): ProcState | null {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  // `pid (comm) state ppid …`; comm may hold spaces and parentheses: read after the last ")".
  const [state, ppid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { state: state!, ppid: Number(ppid) };
}

/** The processes whose parent is `pid` (zombies included), by a scan of /proc. */
export function childrenOf(pid: number): { pid: number; state: string }[] {
  const found: { pid: number; state: string }[] = [];
  for (const name of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const proc = procState(Number(name));
    if (proc?.ppid === pid) found.push({ pid: Number(name), state: proc.state });
  }
  return found;
}

/** The process's resident memory (VmRSS) in KiB. */
export function rssKiB(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)![1]);
}

/** Polls `probe` every 20 ms until it returns true or `ms` pass; whether it did. */
export async function waitFor(probe: () => boolean, ms: number): Promise<boolean> {
  const end = performance.now() + ms;
  for (;;) {
    if (probe()) return true;
    if (performance.now() > end) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
