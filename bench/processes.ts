/** Starting and stopping the servers a benchmark compares, on loopback ports. */
import { spawn, type ChildProcess } from "node:child_process";
import net from "node:net";
import readline from "node:readline";

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

/** Starts `shimmy serve` with `args` and resolves with its URL once it prints the listening line. */
export async function startShimmyServer(bin: string, args: string[], cwd: string): Promise<ServerProcess & { startedAt: number; listeningAt: number }> {
  const startedAt = performance.now();
  const child = spawn(process.execPath, [bin, "serve", "--port", "0", "--log-level", "warn", ...args], { cwd, stdio: ["ignore", "pipe", "inherit"] });
  const url = await new Promise<string>((resolve, reject) => {
    readline.createInterface({ input: child.stdout! }).once("line", (line) => resolve((JSON.parse(line) as { url: string }).url));
    child.once("exit", (code) => reject(new Error(`shimmy exited with ${code}`)));
  });
  return { url, child, startedAt, listeningAt: performance.now(), stop: stopper(child) };
}

/** Starts llama.cpp's `llama-server` and resolves once `/health` answers 200. */
export async function startLlamaServer(bin: string, args: string[]): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(bin, ["--host", "127.0.0.1", "--port", String(port), ...args], { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  child.stderr!.on("data", (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
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
  return { url, child, stop: stopper(child) };
}
