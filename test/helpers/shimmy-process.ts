/**
 * Starts the real `shimmy serve` as a child process on `--port 0`, reads the port from its
 * `listening` line, and stops it. Every home and cache variable points at a temporary folder.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import OpenAI from "openai";

/** The repository root. */
export const ROOT = path.resolve(import.meta.dirname, "../..");
export const BIN = path.join(ROOT, "core/bin/shimmy.cjs");

/** A running server started by a test. */
export interface ShimmyProcess {
  url: string;
  /** `${url}/v1`, for OpenAI clients. */
  baseURL: string;
  child: ChildProcess;
  /** HOME (SHIMMY_HOME is `home/.shimmy`): a temporary folder removed by `stop()`, or the caller's `home`, kept. */
  home: string;
  /** Every JSON line the server logged so far. */
  logs: Record<string, unknown>[];
  /** Every line the server wrote on stdout so far, the `listening` line first. */
  stdout: string[];
  /** An `openai` client for this server; `maxRetries: 0` so statuses can be asserted. */
  client(options?: { timeout?: number }): OpenAI;
  /** Waits for a log line that matches, up to `timeoutMs`. */
  waitForLog(match: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /**
   * How many log lines match once `atLeast` do, or once `timeoutMs` has passed (fewer then), for
   * lines written just after the answer they follow (a request's line comes once it has settled).
   */
  countLogs(match: (line: Record<string, unknown>) => boolean, atLeast: number, timeoutMs?: number): Promise<number>;
  /** Sends SIGTERM, waits for the exit (SIGKILL after 10 s), and removes the temporary home. */
  stop(): Promise<void>;
}

/** Options of {@link startShimmy}. */
export interface StartShimmyOptions {
  /** Arguments after `serve`; `--port 0 --threads 1` are added unless given. */
  args?: string[];
  /** Working directory; `./models` there is served when no `--model` is given. */
  cwd?: string;
  env?: Record<string, string>;
  /** Bound on the start, in ms. @default 90000 */
  timeoutMs?: number;
  /** An installed `shimmy` to run (test/packaging.e2e.test.ts); else the clone's launcher, under this Node. */
  command?: string;
  /**
   * The home to run in ({@link homeEnv}), for state that outlives one server (a restart reads what
   * the last one saved); `stop()` leaves it, its creator removes it. @default a temporary folder of its own
   */
  home?: string;
}

/**
 * The environment of a Shimmy process whose every home is in `home` (HOME; SHIMMY_HOME is
 * `home/.shimmy`, the caches `home/.cache`), with only PATH kept from ours and `extra` on top.
 */
export function homeEnv(home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? "", HOME: home, SHIMMY_HOME: path.join(home, ".shimmy"), XDG_CACHE_HOME: path.join(home, ".cache"), NODE_LLAMA_CPP_SKIP_DOWNLOAD: "true", ...extra };
}

/** Starts `shimmy serve` and resolves once it listens. */
export async function startShimmy(options: StartShimmyOptions = {}): Promise<ShimmyProcess> {
  const home = options.home ?? fs.mkdtempSync(path.join(os.tmpdir(), "shimmy-test-home-"));
  const removeHome = () => {
    if (options.home === undefined) fs.rmSync(home, { recursive: true, force: true });
  };
  const args = ["serve", ...(options.args ?? [])];
  if (!args.includes("--port")) args.push("--port", "0");
  if (!args.includes("--threads")) args.push("--threads", "1");
  const child = spawn(options.command ?? process.execPath, options.command ? args : [BIN, ...args], {
    cwd: options.cwd ?? home,
    env: homeEnv(home, options.env),
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: Record<string, unknown>[] = [];
  const stdout: string[] = [];
  const logWaiters = new Set<() => void>();
  readline.createInterface({ input: child.stderr! }).on("line", (line) => {
    try {
      logs.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      logs.push({ raw: line });
    }
    for (const wake of logWaiters) wake();
  });

  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  // A start loads and tests llama.cpp's binary (node-llama-cpp's getLlama): on two cores, with the
  // suite's other files starting their own servers and CLIs at the same moment, one took over 30 s.
  const timeoutMs = options.timeoutMs ?? 90_000;
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`shimmy did not listen within ${timeoutMs} ms: ${JSON.stringify(logs.slice(-5))}`)), timeoutMs);
    const lines = readline.createInterface({ input: child.stdout! });
    lines.on("line", (line) => stdout.push(line));
    lines.once("line", (line) => {
      clearTimeout(timer);
      try {
        const event = JSON.parse(line) as { event: string; url: string };
        if (event.event !== "listening") throw new Error(`unexpected first line ${line}`);
        resolve(event.url);
      } catch (err) {
        reject(err);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`shimmy exited with ${code} before listening: ${JSON.stringify(logs.slice(-5))}`));
    });
  }).catch(async (err: unknown) => {
    child.kill("SIGKILL");
    await exited;
    removeHome();
    throw err;
  });

  const waitForLog: ShimmyProcess["waitForLog"] = (match, timeoutMs = 10_000) =>
    new Promise((resolve, reject) => {
      const check = () => {
        const found = logs.find(match);
        if (!found) return false;
        logWaiters.delete(check);
        clearTimeout(timer);
        resolve(found);
        return true;
      };
      const timer = setTimeout(() => {
        logWaiters.delete(check);
        reject(new Error("no matching log line"));
      }, timeoutMs);
      if (!check()) logWaiters.add(check);
    });

  return {
    url,
    baseURL: `${url}/v1`,
    child,
    home,
    logs,
    stdout,
    client: (clientOptions = {}) => new OpenAI({ baseURL: `${url}/v1`, apiKey: "test", maxRetries: 0, timeout: clientOptions.timeout ?? 60_000 }),
    async countLogs(match, atLeast, timeoutMs = 10_000) {
      const count = () => logs.filter(match).length;
      await waitForLog(() => count() >= atLeast, timeoutMs).catch(() => undefined);
      return count();
    },
    waitForLog,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(timer);
      }
      removeHome();
    },
  };
}

/** POSTs a raw body, for what the `openai` client cannot send (bad JSON, other content types). */
export async function rawPost(url: string, body: string, headers: Record<string, string> = { "content-type": "application/json" }) {
  const response = await fetch(url, { method: "POST", body, headers });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json: json as { error?: Record<string, unknown> } };
}
