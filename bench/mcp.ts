/**
 * `tools/call` latency over MCP for the calculator, with the SDK's own client: over `/mcp` (a
 * 2025-era client, served statelessly, and a 2026-07-28 one), over `shimmy mcp` on stdio, and the
 * same call on `/api/tools/call` as the baseline without MCP. Sequential calls after a warm-up, so
 * the figures are per-call latency, not throughput.
 *   npx tsx bench/mcp.ts [--calls 200]
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { packPlugin } from "@shimmy/plugin-sdk/pack";
import { startShimmyServer } from "./processes.js";
import { percentile } from "./stats.js";

const ROOT = path.resolve(import.meta.dirname, "..");
const BIN = path.join(ROOT, "core/bin/shimmy.cjs");
const WARMUP = 20;
const { values } = parseArgs({ options: { calls: { type: "string", default: "200" } } });
const calls = Number(values.calls);
const ARGS = { expression: "(1.5+2.25)*4/3" };

/** Times `calls` sequential runs of `call` after a warm-up; p50 and p90 in ms. */
async function measure(call: () => Promise<unknown>): Promise<{ p50: number; p90: number }> {
  for (let i = 0; i < WARMUP; i++) await call();
  const ms: number[] = [];
  for (let i = 0; i < calls; i++) {
    const started = performance.now();
    await call();
    ms.push(performance.now() - started);
  }
  return { p50: percentile(ms, 50), p90: percentile(ms, 90) };
}

async function mcpCalls(client: Client): Promise<{ p50: number; p90: number }> {
  try {
    return await measure(async () => {
      const result = await client.callTool({ name: "calculator__calculate", arguments: ARGS });
      if (result.isError) throw new Error(JSON.stringify(result.content));
    });
  } finally {
    await client.close();
  }
}

const home = fs.mkdtempSync(path.join(os.tmpdir(), "shimmy-bench-mcp-"));
// Inherited by the server, the CLI and `shimmy mcp`: they all use this store.
process.env.HOME = home;
process.env.SHIMMY_HOME = path.join(home, ".shimmy");
const packed = await packPlugin(path.join(ROOT, "plugins/calculator"), { out: path.join(home, "calculator.tgz") });
execFileSync(process.execPath, [BIN, "plugin", "install", packed.file, "--yes"], { stdio: ["ignore", "ignore", "inherit"] });
const server = await startShimmyServer(BIN, ["--model", path.join(ROOT, "models/stories260K.gguf"), "--no-discovery", "--threads", "1"], home);
const rows: Record<string, { p50: number; p90: number }> = {};
try {
  rows["/api/tools/call (no MCP)"] = await measure(async () => {
    const response = await fetch(`${server.url}/api/tools/call`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "calculate", arguments: ARGS }) });
    if (!response.ok) throw new Error(await response.text());
    await response.json();
  });
  for (const [label, options] of [["/mcp, 2025-era client", {}], ["/mcp, 2026-07-28 client", { versionNegotiation: { mode: { pin: "2026-07-28" } } }]] as const) {
    const client = new Client({ name: "bench", version: "1.0.0" }, options);
    await client.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`)));
    rows[label] = await mcpCalls(client);
  }
  const stdio = new Client({ name: "bench", version: "1.0.0" });
  await stdio.connect(new StdioClientTransport({ command: process.execPath, args: [BIN, "mcp", "--log-level", "warn"], env: { PATH: process.env.PATH ?? "", HOME: home, SHIMMY_HOME: process.env.SHIMMY_HOME } }));
  rows["shimmy mcp (stdio)"] = await mcpCalls(stdio);
} finally {
  await server.stop();
  fs.rmSync(home, { recursive: true, force: true });
}
console.log(`calculator tools/call, ${calls} sequential calls after ${WARMUP} warm-up (ms):`);
for (const [label, { p50, p90 }] of Object.entries(rows)) console.log(`  ${label.padEnd(28)} p50 ${p50.toFixed(2).padStart(6)}   p90 ${p90.toFixed(2).padStart(6)}`);
