/**
 * `shimmy plugin add --yes` of a 1 MB plugin from a registry on loopback, each run into a fresh
 * `SHIMMY_HOME`: `afterPrompt` is from the plan being printed (where the user would answer) to the
 * process's exit (download, integrity, the store's checks, the atomic install): target under 1 s;
 * `process` is the whole CLI process, Node's start and the resolve and signature check included.
 *   npx tsx bench/plugin-add.ts [--runs 10]
 * The plugin is the bundled calculator with a 1 MiB custom section of random bytes in its wasm
 * (incompressible, so the tarball itself is about 1 MB); the registry is the real `shimmy-registry`.
 */
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { publishBody } from "../plugins-sdk/src/publish.js";
import { packageUrlPath, registryRequest } from "../plugins-sdk/src/registry-client.js";
import { startRegistryProcess, TOKENS, unpack, writeTokenFile } from "../registry-server/test/helpers.js";
import { rawTarball } from "../test/helpers/raw-tar.js";
import { percentile } from "./stats.js";

const ROOT = path.resolve(import.meta.dirname, "..");
const { values } = parseArgs({ options: { runs: { type: "string", default: "10" } } });
const runs = Number(values.runs);

/** A wasm custom section (id 0) named `name` holding `payload`: valid, and ignored by every engine. */
function customSection(name: string, payload: Buffer): Buffer {
  const leb = (n: number) => {
    const out: number[] = [];
    do {
      let byte = n & 0x7f;
      n >>>= 7;
      if (n) byte |= 0x80;
      out.push(byte);
    } while (n);
    return Buffer.from(out);
  };
  const body = Buffer.concat([leb(name.length), Buffer.from(name), payload]);
  return Buffer.concat([Buffer.from([0]), leb(body.length), body]);
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), "shimmy-bench-add-"));
const registry = await startRegistryProcess({ dataDir: path.join(work, "data"), tokenFile: writeTokenFile(work) });
try {
  const files = unpack(path.join(ROOT, "core/bundled-plugins/calculator-1.0.0.tgz"));
  const wasm = Buffer.concat([files["plugin.wasm"]!, customSection("bench-padding", randomBytes(1024 * 1024))]);
  const name = "bench-big-plugin";
  const manifest = { ...JSON.parse(files["shimmy-plugin.json"]!.toString()), name, version: "1.0.0" };
  delete manifest.$schema;
  const pkg = { ...JSON.parse(files["package.json"]!.toString()), name, version: "1.0.0" };
  pkg.shimmy = { ...pkg.shimmy, wasmSha256: createHash("sha256").update(wasm).digest("hex") };
  const tarball = rawTarball([
    { name: "package/package.json", body: JSON.stringify(pkg, null, 2) },
    { name: "package/shimmy-plugin.json", body: JSON.stringify(manifest, null, 2) },
    { name: "package/plugin.wasm", body: new Uint8Array(wasm) },
    { name: "package/README.md", body: `# ${name}\n` },
  ]);
  await registryRequest("PUT", packageUrlPath(name), { registry: registry.url, token: TOKENS.alice, body: publishBody(pkg, tarball, { registry: registry.url }) });

  const whole: number[] = [];
  const afterPrompt: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const home = fs.mkdtempSync(path.join(work, "home-"));
    const started = performance.now();
    let prompted = 0;
    const child = spawn(process.execPath, [path.join(ROOT, "core/bin/shimmy.cjs"), "plugin", "add", name, "--registry", registry.url, "--yes"], {
      env: { PATH: process.env.PATH ?? "", HOME: home, SHIMMY_HOME: path.join(home, ".shimmy"), SHIMMY_URL: "http://127.0.0.1:1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      if (!prompted && stdout.includes("Signer    ")) prompted = performance.now();
    });
    const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
    if (code !== 0) throw new Error(`plugin add exited ${code}: ${stdout}`);
    const ended = performance.now();
    whole.push(ended - started);
    afterPrompt.push(ended - prompted);
  }
  const ms = (v: number) => `${Math.round(v)} ms`;
  const stats = (t: number[]) => ({ p50: ms(percentile(t, 50)), p95: ms(percentile(t, 95)), min: ms(Math.min(...t)), max: ms(Math.max(...t)) });
  process.stdout.write(JSON.stringify({ bench: "plugin-add", tarballBytes: tarball.length, runs, afterPrompt: stats(afterPrompt), process: stats(whole) }) + "\n");
} finally {
  await registry.stop();
  fs.rmSync(work, { recursive: true, force: true });
}
