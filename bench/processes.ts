/** Starting and stopping the servers a benchmark compares, on loopback ports. */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import net from "node:net";
import readline from "node:readline";
import { CpuBackendLog, type CpuBackend } from "./cpu-backend.js";

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A started server process. */
export interface ServerProcess {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

function stopper(child: ChildProcess): () => Promise<void> {
  return async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  };
}

/** What Shimmy's request log said of one finished request. */
export interface LoggedRequest {
  route: string;
  status: number;
  /** From the request's arrival to its response's end, inside the server. */
  durationMs: number;
  ttftMs?: number;
}

/**
 * Starts `shimmy serve` with `args` and resolves with its URL once it prints the listening line.
 * With `requestLog`, it logs at `info`, Shimmy's default, and its request lines are kept in
 * `requests` (other lines pass through to stderr); else it logs warnings only.
 */
export async function startShimmyServer(
  bin: string,
  args: string[],
  cwd: string,
  options: { requestLog?: boolean } = {},
): Promise<ServerProcess & { startedAt: number; listeningAt: number; requests: LoggedRequest[] }> {
  const startedAt = performance.now();
  const level = options.requestLog ? "info" : "warn";
  const child = spawn(process.execPath, [bin, "serve", "--port", "0", "--log-level", level, ...args], { cwd, stdio: ["ignore", "pipe", options.requestLog ? "pipe" : "inherit"] });
  const requests: LoggedRequest[] = [];
  if (options.requestLog) {
    readline.createInterface({ input: child.stderr! }).on("line", (line) => {
      const entry = parseLogLine(line);
      if (entry?.event === "request") requests.push(entry as unknown as LoggedRequest);
      else if (!entry || (typeof entry.level === "number" && entry.level >= 40)) process.stderr.write(`${line}\n`);
    });
  }
  const url = await new Promise<string>((resolve, reject) => {
    readline.createInterface({ input: child.stdout! }).once("line", (line) => resolve((JSON.parse(line) as { url: string }).url));
    child.once("exit", (code) => reject(new Error(`shimmy exited with ${code}`)));
  });
  return { url, child, startedAt, listeningAt: performance.now(), stop: stopper(child), requests };
}

/** A JSON log line as an object; null for any other line. */
function parseLogLine(line: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(line);
    return value !== null && typeof value === "object" ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * The reference llama-server: `explicit` (a `--llama-server PATH`), else the one
 * ../shared/tools/build-llama-server.sh finds or builds (minutes the first time); null for
 * `--llama-server none` or when neither exists.
 */
export function findLlamaServer(explicit: string | undefined): string | null {
  if (explicit === "none") return null;
  if (explicit) return explicit;
  const root = path.resolve(import.meta.dirname, "..");
  const script = path.resolve(root, "../shared/tools/build-llama-server.sh");
  if (!fs.existsSync(script)) return null;
  console.error("finding (or building, minutes the first time) llama-server from node-llama-cpp's llama.cpp...");
  return execFileSync("bash", [script, root], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim().split("\n").at(-1)!;
}

/**
 * The reference server with node-llama-cpp's own ggml: a copy of the built server's folder (`bin`'s)
 * in a temporary folder, with the prebuilt `libggml-base` and every `libggml-cpu-VARIANT` library of
 * node-llama-cpp in place of its own, found first through LD_LIBRARY_PATH. Both sides then run the same
 * kernels, chosen at run time the same way, and repack weights the same way (a build of our own
 * died with SIGILL in its AMX kernels on these machines, where node-llama-cpp's do not).
 */
function withNodeLlamaCppGgml(bin: string): { file: string; env: NodeJS.ProcessEnv } {
  const root = path.resolve(import.meta.dirname, "..");
  const prebuilt = path.join(root, "node_modules/@node-llama-cpp/linux-x64/bins/linux-x64");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "llama-ref-nlc-"));
  fs.cpSync(path.dirname(bin), dir, { recursive: true, verbatimSymlinks: true });
  for (const name of fs.readdirSync(prebuilt).filter((n) => /^libggml-cpu-.+\.so$/.test(n))) fs.copyFileSync(path.join(prebuilt, name), path.join(dir, name));
  // The server's own libggml-base.so.0 is a link chain; its target takes the prebuilt's place.
  fs.copyFileSync(path.join(prebuilt, "libggml-base.so"), fs.realpathSync(path.join(dir, "libggml-base.so.0")));
  process.once("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
  return { file: path.join(dir, path.basename(bin)), env: { ...process.env, LD_LIBRARY_PATH: dir } };
}

/**
 * Starts llama.cpp's `llama-server` and resolves once `/health` answers 200, with the CPU library and
 * weight buffers it loaded. By default it runs node-llama-cpp's own CPU libraries
 * ({@link withNodeLlamaCppGgml}); `ownGgml` keeps the build's own, which then need `--no-repack`
 * here (AMX advertised, denied by the VM: SIGILL), added unless `args` choose.
 */
export async function startLlamaServer(bin: string, args: string[], ownGgml = false): Promise<ServerProcess & { cpuBackend: CpuBackend; logTail(): string }> {
  const port = await freePort();
  const repack = !ownGgml || args.some((arg) => arg === "--repack" || arg === "--no-repack" || arg === "-nr") ? [] : ["--no-repack"];
  const { file, env } = ownGgml ? { file: bin, env: process.env } : withNodeLlamaCppGgml(bin);
  const child = spawn(file, ["--host", "127.0.0.1", "--port", String(port), ...repack, ...args], { stdio: ["ignore", "ignore", "pipe"], env });
  let log = "";
  const cpu = new CpuBackendLog();
  child.stderr!.on("data", (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
  readline.createInterface({ input: child.stderr! }).on("line", (line) => cpu.line(line));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`llama-server exited: ${log}`);
    try {
      if ((await fetch(`${url}/health`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`llama-server did not start: ${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  // This build does not log which CPU library ggml chose: the process's own memory map says.
  if (!cpu.backend.library) cpu.mappedLibrary(child.pid!);
  // Nor, at its default verbosity, where the weights went: a second load at debug verbosity says,
  // ended once its tensors are placed (debug logging on the measured server would cost it time).
  // The placement depends on the build, its libraries and the model, not on threads or slots: one
  // probe per model serves every round of a run.
  const probeKey = JSON.stringify([bin, ownGgml, args[args.indexOf("-m") + 1]]);
  if (cpu.backend.modelBuffers.length === 0) {
    const known = probedModelBuffers.get(probeKey);
    if (known) cpu.backend.modelBuffers.push(...known);
    else {
      await readModelBuffers(file, env, [...repack, ...args], cpu);
      probedModelBuffers.set(probeKey, [...cpu.backend.modelBuffers]);
    }
  }
  return { url, child, stop: stopper(child), cpuBackend: cpu.backend, logTail: () => log };
}

/** The weight buffers each probed reference build and model showed, by `startLlamaServer`'s probe key. */
const probedModelBuffers = new Map<string, string[]>();

/** Loads the model in a llama-server at `-lv 4` until its weights are placed, feeding its log lines to `cpu`. */
async function readModelBuffers(file: string, env: NodeJS.ProcessEnv, args: string[], cpu: CpuBackendLog): Promise<void> {
  const probe = spawn(file, ["--host", "127.0.0.1", "--port", String(await freePort()), ...args, "-lv", "4"], { stdio: ["ignore", "ignore", "pipe"], env });
  let timer: NodeJS.Timeout | undefined;
  await new Promise<void>((resolve) => {
    timer = setTimeout(resolve, 60_000);
    probe.once("exit", () => resolve());
    readline.createInterface({ input: probe.stderr! }).on("line", (line) => {
      cpu.line(line);
      // The compute buffers come after every weight buffer.
      if (line.includes("sched_reserve")) resolve();
    });
  });
  clearTimeout(timer);
  await stopper(probe)();
}
