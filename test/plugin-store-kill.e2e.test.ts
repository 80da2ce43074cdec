/**
 * The store survives every kill (issue 18): each `shimmy plugin` command is killed with SIGKILL
 * between each two of its steps, on purpose (the `SHIMMY_TEST_PAUSE_AT` test hook), and the store
 * must still read as the old state or the new one, never a mix; the next command clears up what the
 * killed one left. And a command that changed the store returns only once the running server has
 * applied the change, so the very next tool call sees it.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { packedPlugin } from "../scripts/first-party-plugins.js";
import { storeLayout } from "../core/src/plugins/store/layout.js";
import { readCommittedStore } from "../core/src/plugins/store/store-commit.js";
import { killAtStep, pluginCli, pluginCommandHere } from "./helpers/plugin-cli.js";
import { adminApi, waitForPlugins } from "./helpers/plugins-api.js";
import { rawTarball } from "./helpers/raw-tar.js";
import { checkStoreConsistent, readStoreLock, storeLeftovers } from "./helpers/store-check.js";
import { startShimmy, type ShimmyProcess } from "./helpers/shimmy-process.js";

let server: ShimmyProcess;
let home: string;
let store: string;
let work: string;
/** The CLI's environment: it waits for this server. */
let sync: Record<string, string>;
const cli = (args: string[], env = sync) => pluginCli(home, args, "", 60_000, env);
/**
 * A command that only sets the store up for the next kill: the CLI's own code, waiting for the
 * server as `cli` does, run in this process (no process to boot). The kills run as processes.
 */
async function setUp(args: string[]): Promise<void> {
  const run = await pluginCommandHere(home, args, sync);
  expect(run.code, `shimmy plugin ${args.join(" ")}: ${run.stderr}`).toBe(0);
}
/**
 * The command after each kill, that must clear up what the kill left: the CLI's own code in this
 * process, as `setUp` (the kill is what needs a process of its own; a CLI boot per step was a fifth
 * of this file's CPU). Each case's last command, and the rest of this file, run as `cli`.
 */
const nextCommand = (args: string[]) => pluginCommandHere(home, args, sync);
const call = (body: unknown) => adminApi(server.url, "/api/tools/call", body);
const secretsOf = (name: string) => {
  const file = path.join(store, "secrets.json");
  return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")).plugins?.[name] : undefined;
};

/** A `.tgz` of the built first-party plugin `source` with its manifest edited (name, version, config). */
function editedPackage(source: string, file: string, edit: (manifest: any) => void): string {
  const { dir } = packedPlugin(inject("firstPartyPlugins"), source);
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, "shimmy-plugin.json"), "utf8"));
  edit(manifest);
  const tgz = path.join(work, file);
  fs.writeFileSync(
    tgz,
    rawTarball([
      { name: "package/package.json", body: JSON.stringify({ name: manifest.name, version: manifest.version }) },
      { name: "package/shimmy-plugin.json", body: JSON.stringify(manifest) },
      { name: "package/plugin.wasm", body: new Uint8Array(fs.readFileSync(path.join(dir, "plugin.wasm"))) },
      { name: "package/README.md", body: `# ${manifest.name}\n` },
    ]),
  );
  return tgz;
}

let calc100: string;
let calc101: string;
let calcSecret: string;

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "shimmy-kill-test-"));
  server = await startShimmy({ args: ["--no-discovery"] });
  home = server.home;
  store = path.join(home, ".shimmy");
  sync = { SHIMMY_URL: server.url };
  calc100 = packedPlugin(inject("firstPartyPlugins"), "calculator").tgz;
  calc101 = editedPackage("calculator", "calculator-1.0.1.tgz", (m) => (m.version = "1.0.1"));
  calcSecret = editedPackage("calculator", "calc-secret.tgz", (m) => {
    m.name = "calc-secret";
    m.config = { type: "object", properties: { token: { type: "string", writeOnly: true }, note: { type: "string" } } };
  });
});

afterAll(async () => {
  await server?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe("a kill -9 between any two store steps (issue 18)", () => {
  const INSTALL_STEPS = ["install:staged", "install:placed", "lock:temp-written", "install:committed"];

  it.each([
    { what: "a fresh install", before: null, next: () => calc100, version: "1.0.0" },
    { what: "an upgrade", before: () => calc100, next: () => calc101, version: "1.0.1" },
    { what: "a reinstall of the same version", before: () => calc100, next: () => calc100, version: "1.0.0" },
  ])("$what: the lock names the old folder or the new one, complete, and the next command clears up", async ({ before, next, version }) => {
    for (const step of INSTALL_STEPS) {
      if (before) await setUp(["install", before(), "--yes"]);
      else if (readStoreLock(store).plugins.calculator) await setUp(["remove", "calculator"]);
      const old = readStoreLock(store).plugins.calculator;

      await killAtStep(home, ["install", next(), "--yes"], step, sync);
      const entry = checkStoreConsistent(store).plugins.calculator;
      if (step === "install:committed") {
        expect(entry).toMatchObject({ version, dir: expect.stringMatching(new RegExp(`^${version.replaceAll(".", "\\.")}-[0-9a-f]{8}$`)) });
        expect(entry.dir).not.toBe(old?.dir);
      } else {
        expect(entry, step).toEqual(old); // not committed: the store as it was
      }
      // The server follows the lock alone, whatever the disk holds beside it.
      if (entry) {
        await waitForPlugins(server.url, (p) => p.some((x) => x.name === "calculator" && x.version === entry.version && x.status === "ready"));
        expect((await call({ name: "calculate", arguments: { expression: "6*7" } })).json).toEqual({ result: { result: "42" } });
      }

      expect(storeLeftovers(store), step).not.toEqual([]);
      const list = await nextCommand(["list", "--json"]);
      expect(list.code, list.stderr).toBe(0);
      expect(storeLeftovers(store), step).toEqual([]);
      expect(readStoreLock(store).plugins.calculator).toEqual(entry);
    }
    const again = await cli(["install", next(), "--yes"]);
    expect(again.code, again.stderr).toBe(0);
    expect(checkStoreConsistent(store).plugins.calculator.version).toBe(version);
    expect(storeLeftovers(store)).toEqual([]);
  });

  it("remove: the plugin and its secrets are both there or both gone, never one without the other", async () => {
    for (const step of ["remove:journal-written", "remove:secrets-written", "lock:temp-written", "remove:committed", "remove:unlinked"]) {
      await setUp(["install", calcSecret, "--yes"]);
      await setUp(["config", "calc-secret", "token=s3cret", "note=kept"]);

      await killAtStep(home, ["remove", "calc-secret"], step, sync);
      checkStoreConsistent(store);
      if (step === "remove:secrets-written") expect(secretsOf("calc-secret")).toBeUndefined(); // the window: written, not committed
      const committed = step === "remove:committed" || step === "remove:unlinked";
      // What a reader (the server, `plugin list`) sees before anything is cleared up.
      const view = await readCommittedStore(storeLayout(store, home));
      if (committed) {
        expect(view.lock.plugins["calc-secret"], step).toBeUndefined();
        expect(view.secrets["calc-secret"], step).toBeUndefined();
      } else {
        expect(view.lock.plugins["calc-secret"], step).toMatchObject({ config: { note: "kept" } });
        expect(view.secrets["calc-secret"], step).toEqual({ token: "s3cret" });
      }

      const list = await nextCommand(["list", "--json"]);
      expect(list.code, list.stderr).toBe(0);
      expect(secretsOf("calc-secret"), step).toEqual(committed ? undefined : { token: "s3cret" });
      expect(storeLeftovers(store), step).toEqual([]);
      if (!committed) expect((await nextCommand(["remove", "calc-secret"])).code).toBe(0);
      expect(fs.existsSync(path.join(store, "plugins/calc-secret"))).toBe(false);
      expect(secretsOf("calc-secret")).toBeUndefined();
    }
  });

  it("config: the secret and plain settings change together at the lock's commit", async () => {
    await setUp(["install", calcSecret, "--yes"]);
    for (const step of ["config:journal-written", "config:secrets-written", "lock:temp-written", "config:committed"]) {
      await setUp(["config", "calc-secret", "token=old", "note=old"]);

      await killAtStep(home, ["config", "calc-secret", "token=new", "note=new"], step, sync);
      checkStoreConsistent(store);
      if (step === "config:secrets-written") expect(secretsOf("calc-secret")).toEqual({ token: "new" }); // the window
      const want = step === "config:committed" ? "new" : "old";
      const view = await readCommittedStore(storeLayout(store, home));
      expect(view.lock.plugins["calc-secret"]?.config, step).toEqual({ note: want });
      expect(view.secrets["calc-secret"], step).toEqual({ token: want });
      await waitForPlugins(server.url, (p) => p.find((x) => x.name === "calc-secret")?.config.note === want);

      const list = await nextCommand(["list", "--json"]);
      expect(list.code, list.stderr).toBe(0);
      expect(secretsOf("calc-secret"), step).toEqual({ token: want });
      expect(storeLeftovers(store), step).toEqual([]);
    }
    await setUp(["remove", "calc-secret"]);
  });

  it("clears up temporary files, staging folders and folders no lock entry names at the next command", async () => {
    await setUp(["install", calc100, "--yes"]);
    await killAtStep(home, ["disable", "calculator"], "lock:temp-written", sync);
    expect(fs.readdirSync(store).filter((f) => /^plugins\.lock\.json\.\d+\.[0-9a-f]+\.tmp$/.test(f))).toHaveLength(1);
    fs.mkdirSync(path.join(store, "plugins/.staging/install-old/package"), { recursive: true });
    fs.mkdirSync(path.join(store, "plugins/calculator/0.9.0-deadbeef"), { recursive: true });
    fs.mkdirSync(path.join(store, "plugins/gone/1.0.0"), { recursive: true });
    expect(storeLeftovers(store)).toHaveLength(4);

    const enable = await cli(["enable", "calculator"]);
    expect(enable.code, enable.stderr).toBe(0);
    expect(storeLeftovers(store)).toEqual([]);
    expect(fs.existsSync(path.join(store, "plugins/gone"))).toBe(false);
    expect(checkStoreConsistent(store).plugins.calculator.enabled).toBe(true); // the killed disable never committed
  });
});

describe("shimmy plugin waits for the running server (issue 18)", () => {
  it("config, disable, enable, install and remove return once the server runs the change: the next call sees it, no sleep", async () => {
    const [a, b] = ["a", "b"].map((n) => {
      const dir = path.join(work, `folder-${n}`);
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, "x.txt"), `from ${n}\n`);
      return dir;
    }) as [string, string];
    const read = () => call({ name: "read_file", plugin: "file-read", arguments: { path: "x.txt" } });

    expect((await cli(["install", packedPlugin(inject("firstPartyPlugins"), "file-read").tgz, "--yes"])).code).toBe(0);
    for (const [folder, text] of [[a, "from a"], [b, "from b"], [a, "from a"], [b, "from b"]] as const) {
      const run = await cli(["config", "file-read", `folder=${folder}`, "--yes"]);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toBe("");
      expect(await read()).toMatchObject({ status: 200, json: { result: { text } } });
    }
    const quiet = async (args: string[]) => {
      const run = await cli(args);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toBe(""); // no "has not applied it" warning
    };
    await quiet(["disable", "file-read"]);
    expect(await read()).toMatchObject({ status: 409, json: { error: { code: "plugin_unavailable" } } });
    await quiet(["enable", "file-read"]);
    expect(await read()).toMatchObject({ status: 200, json: { result: { text: "from b" } } });
    await quiet(["remove", "file-read"]);
    expect(await read()).toMatchObject({ status: 404, json: { error: { code: "plugin_not_found" } } });
    await quiet(["install", calc101, "--yes"]);
    expect((await adminApi(server.url, "/api/plugins")).json).toMatchObject({ generation: readStoreLock(store).generation, data: [{ name: "calculator", version: "1.0.1", status: "ready" }] });
  });

  it("returns at once when no server answers at --url, or the one there runs another store", async () => {
    let started = Date.now();
    const none = await cli(["disable", "calculator", "--url", "http://127.0.0.1:9"], {});
    expect(none.code, none.stderr).toBe(0);
    expect(none.stderr).toBe("");
    expect(Date.now() - started).toBeLessThan(5000);

    const other = fs.mkdtempSync(path.join(os.tmpdir(), "shimmy-other-store-"));
    // A generation the server's store has not reached: only the store id tells it is another store.
    fs.mkdirSync(path.join(other, ".shimmy"));
    fs.writeFileSync(path.join(other, ".shimmy/plugins.lock.json"), JSON.stringify({ lockfileVersion: 1, generation: 1000, plugins: {} }));
    try {
      started = Date.now();
      const run = await pluginCli(other, ["install", calc100, "--yes"], "", 60_000, sync);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toBe("");
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      fs.rmSync(other, { recursive: true, force: true });
    }
    expect((await cli(["enable", "calculator"])).code).toBe(0);
  });
});
