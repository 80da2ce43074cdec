/**
 * `shimmy run MODEL PROMPT`, from the spawn of the command to the first byte of the answer on its
 * stdout, with the model already loaded on a running server; beside it the floor any client pays,
 * the same streamed request as a raw fetch from a fresh node process (a `curl -N` written in node),
 * and `curl -N` itself when it is installed.
 *   npx tsx bench/run-first-token.ts [--runs 10] [--model FILE.gguf] [--id stories260K]
 */
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { startShimmyServer } from "./processes.js";
import { percentile } from "./stats.js";

const ROOT = path.resolve(import.meta.dirname, "..");
const SHIMMY = path.join(ROOT, "core/bin/shimmy.cjs");
const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "10" },
    model: { type: "string", default: path.join(ROOT, "models/stories260K.gguf") },
    id: { type: "string", default: "stories260K" },
  },
});
const runs = Number(values.runs);
const PROMPT = "Once upon a time";

/** Spawns `command args…` and resolves with the ms from the spawn to its first stdout byte; waits for its exit. */
function firstByteMs(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    let first: number | null = null;
    const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "inherit"] });
    child.stdout.on("data", () => (first ??= performance.now() - start));
    child.once("error", reject);
    child.once("exit", (code) => {
      if (code !== 0 || first === null) reject(new Error(`${command} ${args.join(" ")} exited with ${code} before writing`));
      else resolve(first);
    });
  });
}

function hasCurl(): boolean {
  try {
    execFileSync("curl", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

const home = fs.mkdtempSync(path.join(os.tmpdir(), "shimmy-bench-run-"));
// The server and every client run with a temporary home (the server inherits this process's environment).
Object.assign(process.env, { HOME: home, SHIMMY_HOME: path.join(home, ".shimmy"), XDG_CACHE_HOME: path.join(home, ".cache") });
delete process.env.SHIMMY_URL;
delete process.env.SHIMMY_API_KEY;
const env = process.env;
const server = await startShimmyServer(SHIMMY, ["--model", values.model!, "--no-discovery", "--threads", "1"], home);
try {
  const body = JSON.stringify({ model: values.id, messages: [{ role: "user", content: PROMPT }], max_tokens: 16, seed: 1, stream: true });
  // Loads the model, so every measured run finds it loaded.
  await (await fetch(`${server.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body })).text();

  const rawFetch = [
    "-e",
    `const r = await fetch(${JSON.stringify(`${server.url}/v1/chat/completions`)}, { method: "POST", headers: { "content-type": "application/json", accept: "text/event-stream" }, body: ${JSON.stringify(body)} });
     for await (const chunk of r.body) process.stdout.write(chunk);`,
    "--input-type=module",
  ];
  const rows: [string, () => Promise<number>][] = [
    ["shimmy run", () => firstByteMs(process.execPath, [SHIMMY, "run", values.id!, PROMPT, "--url", server.url, "--max-tokens", "16", "--seed", "1"], env)],
    ["raw fetch (node)", () => firstByteMs(process.execPath, rawFetch, env)],
  ];
  if (hasCurl()) {
    rows.push(["curl -N", () => firstByteMs("curl", ["-sN", "-H", "content-type: application/json", "-d", body, `${server.url}/v1/chat/completions`], env)]);
  }
  console.log(`start to first token, ${runs} runs each, model ${values.id} loaded on ${server.url}`);
  console.log(`${"client".padEnd(18)}${"p50 ms".padStart(8)}${"p95 ms".padStart(8)}`);
  for (const [name, measure] of rows) {
    const samples: number[] = [];
    for (let i = 0; i < runs; i++) samples.push(await measure());
    console.log(`${name.padEnd(18)}${percentile(samples, 50).toFixed(0).padStart(8)}${percentile(samples, 95).toFixed(0).padStart(8)}`);
  }
} finally {
  await server.stop();
  fs.rmSync(home, { recursive: true, force: true });
}
