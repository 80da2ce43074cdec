/**
 * Routing overhead per request: a chat request for a route whose router is the real rules-router
 * plugin (built from plugins/rules-router, run in the plugin host's worker, five rules), against the
 * same request for the model directly, both on the fake engine (no llama.cpp, answers at once), so
 * the difference is the route's own cost: features, candidate traits, the plugin call across the
 * worker bridge, checking the answer and the fallback wrapper. p50 and p95 over `--requests`.
 *
 * Then the classify router (plugins/classify-router) on the real engine with the demo model
 * (models/stories260K.gguf, one thread) as both the labeller and the one candidate: a routed
 * one-token answer against a direct one, over `--classify-requests`; the difference is mostly the
 * labelling generation (its prompt and a few forced tokens). `--parallel` sets the engine's slots
 * (default 1): with 2 the labelling prompt and the served prompt may each keep a slot's cache.
 *   npx tsx bench/routing.ts [--requests 2000] [--classify-requests 100] [--parallel 1]
 * Build the plugins first: node plugins-sdk/bin/shimmy-plugin.js build plugins/rules-router (and classify-router)
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { validateManifest } from "@shimmy/plugin-sdk";
import { FakeEngine, fakeModel } from "../core/src/engine/fake-engine.js";
import type { ChatRequest, Engine } from "../core/src/engine/types.js";
// The built engine: its load probe runs core/dist's probe child (npm run build --workspace core first).
import { LlamaEngine } from "../core/dist/engine/llama-engine.js";
import { parseKeepAlive } from "../core/dist/config/duration.js";
import { createLogger } from "../core/dist/logger.js";
import { discoverModels } from "../core/dist/models/index.js";
import type { HostChat } from "../core/src/plugins/host-functions.js";
import { engineChat } from "../core/src/routing/routes/plugin-chat.js";
import { PluginHost } from "../core/src/plugins/host.js";
import { normaliseRoute } from "../core/src/routing/routes/route-config.js";
import { withRouteReport } from "../core/src/routing/routes/route-report.js";
import { RoutedEngine } from "../core/src/routing/routes/routed-engine.js";
import { percentile } from "./stats.js";

const { values } = parseArgs({ options: { requests: { type: "string", default: "2000" }, "classify-requests": { type: "string", default: "100" }, parallel: { type: "string", default: "1" } } });
const requests = Number(values.requests);
const silent = { info: () => {}, warn: () => {}, debug: () => {} };

/** The built first-party plugin `name`, loaded in the real host with `config`. */
async function loadPlugin(name: string, config: Record<string, unknown>, chat?: HostChat): Promise<PluginHost> {
  const dir = path.resolve(import.meta.dirname, "../plugins", name);
  const validation = validateManifest(JSON.parse(fs.readFileSync(path.join(dir, "shimmy-plugin.json"), "utf8")));
  if (!validation.ok) throw new Error(JSON.stringify(validation.errors));
  const wasm = new Uint8Array(fs.readFileSync(path.join(dir, "plugin.wasm")));
  return PluginHost.load({ manifest: validation.manifest, wasm, config, home, serverAddresses: [], logger: silent, poolSize: 1, ...(chat ? { chat } : {}) });
}

const home = fs.mkdtempSync(path.join(os.tmpdir(), "shimmy-bench-routing-"));
const rules = [
  { name: "sql", model: "big", regex: "\\bselect\\b.+\\bfrom\\b", flags: "i" },
  { name: "code", tag: "code", keywords: ["python", "typescript", "rust", "sql"] },
  { name: "long", model: "big", min_tokens: 2000 },
  { name: "json", model: "big", json: true },
  { name: "team", model: "big", metadata: { team: "research" } },
];
const host = await loadPlugin("rules-router", { rules });
const inner = new FakeEngine({ models: [fakeModel("small"), fakeModel("coder"), fakeModel("big")] });
const engine = new RoutedEngine({
  inner,
  routes: { smart: normaliseRoute({ models: ["small", { model: "coder", tags: ["code"] }, "big"], router: "rules-router/rules" }) },
  callRouter: (router, input, signal) => host.callRouter(router.slice(router.lastIndexOf("/") + 1), input, { signal }),
  logger: { warn: (obj) => console.error(obj) },
});
const signal = new AbortController().signal;
const text = "Could you write a small Python function that parses a CSV file and sums the second column? Keep it short.";
const request = (model: string): ChatRequest => ({ model, turns: [{ role: "system", text: "You are helpful." }, { role: "user", text }], sampling: { stop: [], maxTokens: 1 }, signal });

async function time(model: string, on: Engine = engine, count = requests): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await withRouteReport({}, () => on.chat(request(model)));
    ms.push(performance.now() - started);
  }
  return ms;
}

try {
  await time("smart"); // warm up the JIT and the plugin instance
  await time("coder");
  const routed = await time("smart");
  const direct = await time("coder");
  const figures = {
    requests,
    directP50Ms: round(percentile(direct, 50)),
    routedP50Ms: round(percentile(routed, 50)),
    overheadP50Ms: round(percentile(routed, 50) - percentile(direct, 50)),
    overheadP95Ms: round(percentile(routed, 95) - percentile(direct, 95)),
  };
  process.stdout.write(JSON.stringify({ bench: "routing", router: "rules-router", ...figures }) + "\n");
  await benchClassify(Number(values["classify-requests"]));
} finally {
  await host.dispose();
  fs.rmSync(home, { recursive: true, force: true });
}

/** The classify router on the demo model, against the demo model directly. */
async function benchClassify(count: number): Promise<void> {
  const demo = path.resolve(import.meta.dirname, "../models/stories260K.gguf");
  const { models } = await discoverModels({ env: {}, cwd: home, modelFiles: [demo], modelsDirs: [], discovery: false });
  const llama = await LlamaEngine.create({
    models, threads: 1, parallel: Number(values.parallel), contextSize: 512, queueSize: 8, gpu: "off", maxLoadedModels: 1, memoryBudget: 1 << 30,
    keepAlive: parseKeepAlive("10m", "keep_alive"), probeVerdictsFile: null, logger: createLogger("silent"),
  });
  const id = models[0]!.id;
  const classify = await loadPlugin("classify-router", { model: id, labels: ["code", "chat"], routes: { code: id, chat: id } }, engineChat(llama));
  const routed = new RoutedEngine({
    inner: llama,
    routes: { classified: normaliseRoute({ models: [id], router: "classify-router/classify" }) },
    callRouter: (router, input, signal) => classify.callRouter(router.slice(router.lastIndexOf("/") + 1), input, { signal }),
    logger: { warn: (obj) => console.error(obj) },
  });
  try {
    await time("classified", routed, 5);
    await time(id, routed, 5);
    const viaRoute = await time("classified", routed, count);
    const direct = await time(id, routed, count);
    process.stdout.write(JSON.stringify({
      bench: "routing", router: "classify-router", labeller: id, requests: count, parallel: Number(values.parallel),
      directP50Ms: round(percentile(direct, 50)), routedP50Ms: round(percentile(viaRoute, 50)),
      overheadP50Ms: round(percentile(viaRoute, 50) - percentile(direct, 50)), overheadP95Ms: round(percentile(viaRoute, 95) - percentile(direct, 95)),
    }) + "\n");
  } finally {
    await classify.dispose();
    await llama.dispose();
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
