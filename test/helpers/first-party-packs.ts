/**
 * The test run's first-party plugin packages (scripts/first-party-plugins.ts builds the same ones
 * for `npm run plugins:pack`), built faster for the global setup:
 * - in child processes side by side, one per core: each build is seconds of asc CPU, and the setup
 *   is the one moment of the run where no test uses the other core;
 * - once per content hash: a build is reused from `node_modules/.cache` (gitignored) when nothing it
 *   is made from changed, so the second run in a clone (CI's Node 24 run, each local run) builds
 *   nothing. The same sources give the same bytes (plugins-sdk/src/build.ts), so a reused build is
 *   the one a fresh build would write.
 */
import { execFile } from "node:child_process";
import { createHash, randomUUID } from "node:crypto";
import { copyFile, mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { PLUGINS_DIR, type PackedPlugin } from "../../scripts/first-party-plugins.js";

/** The repository root. */
const ROOT = path.resolve(import.meta.dirname, "../..");

/** Reused builds, one folder per plugin and content hash. */
const CACHE = path.join(ROOT, "node_modules/.cache/shimmy-first-party-plugins");
/** What a build writes beside the sources; no input of a build. */
const BUILD_OUTPUTS = /(^|[\\/])(plugin\.wasm|node_modules|[^\\/]*\.tgz|[^\\/]*\.tmp)$/;

/** One child's work: packs each job's folder into its `out` and prints every result as JSON. */
const PACK_SCRIPT = `
import { packPlugin } from "@shimmy/plugin-sdk/pack";

const results = {};
for (const { name, dir, out } of JSON.parse(process.argv[1])) {
  try {
    const r = await packPlugin(dir, { out });
    results[name] = { ok: true, dir, tgz: r.file, integrity: r.integrity, wasmSha256: r.wasmSha256, version: r.manifest.version };
  } catch (error) {
    results[name] = { ok: false, dir, error: (error && error.message) || String(error) };
  }
}
process.stdout.write(JSON.stringify(results));
`;

/** Every file under `dir` (relative paths, sorted) but build outputs. */
async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .filter((file) => !file.split(path.sep).some((part) => BUILD_OUTPUTS.test(part)))
    .sort();
}

async function hashFolder(hash: ReturnType<typeof createHash>, dir: string): Promise<void> {
  for (const file of await sourceFiles(dir)) hash.update(file).update(await readFile(path.join(dir, file)));
}

/**
 * What every build is made from besides its own folder: the SDK as built (its compiler flags, its
 * packer) and its AssemblyScript library, and the installed compiler and packages.
 */
async function toolchainHash(): Promise<string> {
  const hash = createHash("sha256");
  for (const part of ["plugins-sdk/dist", "plugins-sdk/assembly"]) await hashFolder(hash, path.join(ROOT, part));
  hash.update(await readFile(path.join(ROOT, "package-lock.json")));
  hash.update(await readFile(path.join(ROOT, "node_modules/assemblyscript/package.json")));
  return hash.digest("hex");
}

/** The cache key of the build of `dir`: a hash of the toolchain's hash and the folder's sources. */
async function buildKey(toolchain: string, dir: string): Promise<string> {
  const hash = createHash("sha256").update(toolchain);
  await hashFolder(hash, dir);
  return hash.digest("hex").slice(0, 32);
}

/**
 * Runs {@link PACK_SCRIPT} on `jobs` in one child process; never rejects: a child that dies gives
 * each of its plugins a failed result, as one plugin's failed build does.
 */
function packInChild(jobs: { name: string; dir: string; out: string }[]): Promise<Record<string, PackedPlugin>> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["--input-type=module", "-e", PACK_SCRIPT, JSON.stringify(jobs)], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const failed = (why: string): Record<string, PackedPlugin> =>
        Object.fromEntries(jobs.map(({ name, dir }) => [name, { ok: false as const, dir, error: `the packing process failed: ${why}` }]));
      if (error) return resolve(failed(stderr || error.message));
      try {
        resolve(JSON.parse(stdout) as Record<string, PackedPlugin>);
      } catch {
        resolve(failed(`it printed no results: ${stdout.slice(0, 200)} ${stderr}`));
      }
    });
  });
}

/** Writes `bytes` to `file` whole (another test run may be reading it), unless it holds them already. */
async function writeIfChanged(file: string, bytes: Buffer): Promise<void> {
  const current = await readFile(file).catch(() => undefined);
  if (current?.equals(bytes)) return;
  const temp = `${file}.${randomUUID()}.tmp`;
  await writeFile(temp, bytes);
  await rename(temp, file);
}

/** The cached build `key` of `name` copied out (its `.tgz` to `out`, its wasm beside its sources), or undefined. */
async function fromCache(cache: string, name: string, dir: string, out: string, key: string): Promise<PackedPlugin | undefined> {
  const cached = path.join(cache, `${name}-${key}`);
  const record = await readFile(path.join(cached, "result.json"), "utf8").then(
    (text) => JSON.parse(text) as Extract<PackedPlugin, { ok: true }>,
    () => undefined,
  );
  if (!record) return undefined;
  await copyFile(path.join(cached, "plugin.tgz"), out);
  await writeIfChanged(path.join(dir, "plugin.wasm"), await readFile(path.join(cached, "plugin.wasm")));
  return { ...record, dir, tgz: out };
}

/** Keeps a fresh build for the next run: written under a temporary name, then renamed whole. */
async function toCache(cache: string, name: string, key: string, packed: Extract<PackedPlugin, { ok: true }>): Promise<void> {
  // The wasm beside the sources is this build's unless another run rewrote it since (from other sources).
  const wasm = await readFile(path.join(packed.dir, "plugin.wasm"));
  if (createHash("sha256").update(wasm).digest("hex") !== packed.wasmSha256) return;
  const cached = path.join(cache, `${name}-${key}`);
  const temp = `${cached}.${randomUUID()}.tmp`;
  await mkdir(temp, { recursive: true });
  await copyFile(packed.tgz, path.join(temp, "plugin.tgz"));
  await writeFile(path.join(temp, "plugin.wasm"), wasm);
  await writeFile(path.join(temp, "result.json"), JSON.stringify(packed));
  // Another run may have cached the same build first: its copy is the same bytes.
  await rename(temp, cached).catch(() => rm(temp, { recursive: true, force: true }));
  // Older builds of this plugin are of sources no longer here: only the newest is kept.
  const build = new RegExp(`^${name.replace(/[^\w]/g, "\\$&")}-[0-9a-f]{32}$`);
  const older = (await readdir(cache)).filter((entry) => entry !== path.basename(cached) && build.test(entry));
  await Promise.all(older.map((entry) => rm(path.join(cache, entry), { recursive: true, force: true })));
}

/**
 * Packs each first-party plugin (`plugins/NAME/shimmy-plugin.json`) into `outDir/NAME.tgz`, as
 * scripts/first-party-plugins.ts packFirstPartyPlugins does (and with its per-plugin failures),
 * reusing cached builds and building the rest in `lanes` child processes side by side. `cache` is
 * where builds are kept (another folder for bench/test-setup.ts, to time a fresh clone's setup).
 */
export async function packFirstPartyPluginsOnce(outDir: string, lanes = 2, cache = CACHE): Promise<Record<string, PackedPlugin>> {
  const toolchain = await toolchainHash();
  const names: string[] = [];
  for (const name of (await readdir(PLUGINS_DIR)).sort()) {
    if (await stat(path.join(PLUGINS_DIR, name, "shimmy-plugin.json")).then((s) => s.isFile(), () => false)) names.push(name);
  }

  const packed: Record<string, PackedPlugin> = {};
  const toBuild: { name: string; dir: string; out: string; key: string }[] = [];
  for (const name of names) {
    const dir = path.join(PLUGINS_DIR, name);
    const out = path.join(outDir, `${name}.tgz`);
    const key = await buildKey(toolchain, dir);
    const cached = await fromCache(cache, name, dir, out, key);
    if (cached) packed[name] = cached;
    else toBuild.push({ name, dir, out, key });
  }

  const laneJobs = Array.from({ length: Math.min(lanes, toBuild.length) }, (_, lane) => toBuild.filter((_, i) => i % lanes === lane));
  const built = Object.assign({}, ...(await Promise.all(laneJobs.map((jobs) => packInChild(jobs.map(({ name, dir, out }) => ({ name, dir, out })))))));
  await mkdir(cache, { recursive: true });
  // Kept only when no source changed during the build (the tree is shared with editors at work):
  // else the build may be of sources its key does not name.
  const toolchainAfter = toBuild.length > 0 ? await toolchainHash() : toolchain;
  for (const { name, dir, key } of toBuild) {
    const result = built[name] as PackedPlugin | undefined;
    packed[name] = result ?? { ok: false, dir, error: "the packing process gave no result" };
    if (result?.ok && (await buildKey(toolchainAfter, dir)) === key) await toCache(cache, name, key, result);
  }
  // In the order packFirstPartyPlugins gives (sorted names).
  return Object.fromEntries(names.map((name) => [name, packed[name]!]));
}
