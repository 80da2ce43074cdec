/**
 * Plugin call figures: a trivial tool (echo) through Shimmy's host against bare Extism calls of the
 * same module, side by side (median and p99 over 10,000 calls each), instantiation time, calls/s
 * with 8 concurrent callers, and a tool whose call makes one host-function call over the host's
 * bridge (shimmy_fs_read of a small file).   node bench/plugins.mjs [--calls 10000]
 *
 * The host runs each instance in its own worker thread, Extism in foreground mode there. The bare
 * figures are the SDK alone: worker mode (`runInWorker: true`, what a host without caps would use)
 * and foreground mode on this thread (the wasm call itself, no thread hop; it blocks this thread).
 *
 * Plain JavaScript on the built host (`npm run build`): under tsx, Extism's worker (an inline
 * module) inherits source-map support and dies resolving its own source map.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import createPlugin from "@extism/extism";
import { PluginHost } from "../core/dist/plugins/host.js";

/** The p-th percentile by nearest rank. */
function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

const ROOT = path.resolve(import.meta.dirname, "..");
const { values } = parseArgs({ options: { calls: { type: "string", default: "10000" } } });
const calls = Number(values.calls);
const work = mkdtempSync(path.join(os.tmpdir(), "shimmy-bench-plugins-"));
const wasmFile = path.join(work, "echo.wasm");
execFileSync(path.join(ROOT, "node_modules/.bin/asc"), [
  "core/test-plugins/echo.ts", "--outFile", wasmFile, "--runtime", "stub", "-O2", "--use", "abort=core/test-plugins/common/pluginAbort", "--maximumMemory", "32",
], { cwd: ROOT });
const wasm = new Uint8Array(readFileSync(wasmFile));
const fsWasmFile = path.join(work, "fs.wasm");
execFileSync(path.join(ROOT, "node_modules/.bin/asc"), [
  "core/test-plugins/fs.ts", "--outFile", fsWasmFile, "--runtime", "stub", "-O2", "--use", "abort=core/test-plugins/common/pluginAbort", "--maximumMemory", "32",
], { cwd: ROOT });
const fsWasm = new Uint8Array(readFileSync(fsWasmFile));
writeFileSync(path.join(work, "small.txt"), "hello from a file");
const input = { value: 1 };
const quiet = { info: () => undefined, warn: () => undefined, debug: () => undefined };

async function time(n, call) {
  const samples = [];
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    await call();
    samples.push(performance.now() - started);
  }
  return samples;
}
const fmt = (xs) => `median ${percentile(xs, 50).toFixed(3)} ms  p99 ${percentile(xs, 99).toFixed(3)} ms`;

try {
  // Bare Extism: the SDK alone, worker mode as the host uses it, no checks.
  const bareStarted = performance.now();
  const bare = await createPlugin({ wasm: [{ data: wasm }] }, { useWasi: false, runInWorker: true });
  const bareInstantiate = performance.now() - bareStarted;
  await time(200, () => bare.call("echo", JSON.stringify(input)));
  const bareSamples = await time(calls, () => bare.call("echo", JSON.stringify(input)));
  await bare.close();
  const fg = await createPlugin({ wasm: [{ data: wasm }] }, { useWasi: false, runInWorker: false });
  await time(200, () => fg.call("echo", JSON.stringify(input)));
  const fgSamples = await time(calls, () => fg.call("echo", JSON.stringify(input)));
  await fg.close();

  const hostStarted = performance.now();
  const host = await PluginHost.load({
    manifest: {
      name: "echo", version: "1.0.0", description: "echo", shimmy: "*",
      capabilities: [{ kind: "tool", export: "echo", name: "echo", description: "echo", inputSchema: { type: "object" } }],
      limits: { memoryMaxPages: 32, timeoutMs: 5000, maxResponseBytes: 65536 },
    },
    wasm, config: {}, home: work, serverAddresses: [], logger: quiet, poolSize: 2,
  });
  const hostInstantiate = performance.now() - hostStarted;
  await time(200, () => host.callTool("echo", input));
  const hostSamples = await time(calls, () => host.callTool("echo", input));

  const concurrent = 8;
  const perCaller = Math.max(1, Math.floor(calls / concurrent));
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrent }, () => time(perCaller, () => host.callTool("echo", input))));
  const callsPerSecond = (concurrent * perCaller) / ((performance.now() - started) / 1000);
  await host.dispose();

  const fsHost = await PluginHost.load({
    manifest: {
      name: "fs", version: "1.0.0", description: "fs", shimmy: "*",
      capabilities: [{ kind: "tool", export: "read", name: "read", description: "read", inputSchema: { type: "object" } }],
      limits: { memoryMaxPages: 32, timeoutMs: 5000, maxResponseBytes: 65536 },
      permissions: { fs: { read: [work] } },
    },
    wasm: fsWasm, config: {}, home: work, serverAddresses: [], logger: quiet, poolSize: 1,
  });
  const readInput = { path: path.join(work, "small.txt") };
  await time(100, () => fsHost.callTool("read", readInput));
  const fsSamples = await time(Math.max(1, Math.floor(calls / 5)), () => fsHost.callTool("read", readInput));
  await fsHost.dispose();

  console.log(`trivial call, ${calls} calls each`);
  console.log(`bare Extism (worker mode):        ${fmt(bareSamples)}`);
  console.log(`bare Extism (foreground, here):   ${fmt(fgSamples)}`);
  console.log(`Shimmy host:                      ${fmt(hostSamples)}  (target: median under 0.2 ms)`);
  console.log(`instantiation: bare ${bareInstantiate.toFixed(1)} ms, host with 2 instances and checks ${hostInstantiate.toFixed(1)} ms`);
  console.log(`calls/s with ${concurrent} concurrent callers on 2 instances: ${callsPerSecond.toFixed(0)}`);
  console.log(`tool making one shimmy_fs_read call (bridge to the main thread), ${fsSamples.length} calls: ${fmt(fsSamples)}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
