/**
 * `shimmy plugin add NAME` end to end on 127.0.0.1: a real registry with every first-party plugin
 * published through the SDK's publish body, a plugin added by name into a running server's home and
 * its tool called; the attacks (a tampered tarball, a tampered packument, a changed registry key, a
 * range nothing satisfies, a registry dying mid-download, an npm package that is not a plugin) each
 * fail with a clear error and change nothing on disk; updates within the range ask again only when
 * permissions widen; an unsigned npm registry that a scope names serves a plugin checked by its
 * integrity alone; and with no registry at all, a first-party name installs the bundled plugin.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { publishBody } from "../plugins-sdk/src/publish.js";
import { packageUrlPath, registryRequest } from "../plugins-sdk/src/registry-client.js";
import { pluginTarball, startRegistryProcess, TOKENS, unpack, writeTokenFile, type RegistryProcess } from "../registry-server/test/helpers.js";
import { packedPlugin } from "../scripts/first-party-plugins.js";
import { pluginCli } from "./helpers/plugin-cli.js";
import { adminApi, waitForPlugins } from "./helpers/plugins-api.js";
import { rawTarball } from "./helpers/raw-tar.js";
import { startBareRegistry, startRegistryProxy, type RegistryProxy } from "./helpers/registry-proxy.js";
import { ROOT, startShimmy, type ShimmyProcess } from "./helpers/shimmy-process.js";

let work: string;
let registry: RegistryProcess;
let proxy: RegistryProxy;
let shimmy: ShimmyProcess;
let calculatorFiles: Record<string, Buffer>;

const sri = (bytes: Uint8Array) => `sha512-${createHash("sha512").update(bytes).digest("base64")}`;

/** Publishes a packed plugin as `shimmy-plugin publish` does: the SDK's publish body, PUT with the first-party token. */
async function publish(tarball: Buffer): Promise<void> {
  const dir = fs.mkdtempSync(path.join(work, "pkg-"));
  fs.writeFileSync(path.join(dir, "p.tgz"), tarball);
  const pkg = JSON.parse(unpack(path.join(dir, "p.tgz"))["package.json"]!.toString());
  const body = publishBody(pkg, tarball, { registry: registry.url });
  await registryRequest("PUT", packageUrlPath(pkg.name), { registry: registry.url, token: TOKENS.shimmy, body });
}

/** Every file of a `.shimmy` folder with its sha256: what "nothing changed on disk" compares. */
function snapshot(home: string): Record<string, string> {
  const dir = path.join(home, ".shimmy");
  if (!fs.existsSync(dir)) return {};
  const files: Record<string, string> = {};
  for (const entry of fs.readdirSync(dir, { recursive: true }).map(String).sort()) {
    const file = path.join(dir, entry);
    if (fs.statSync(file).isFile() && !entry.endsWith(".guard")) files[entry] = createHash("sha256").update(fs.readFileSync(file)).digest("hex");
  }
  return files;
}

const add = (args: string[], input = "", env: Record<string, string> = {}) => pluginCli(shimmy.home, args, input, 60_000, { SHIMMY_URL: shimmy.url, ...env });
const lock = () => JSON.parse(fs.readFileSync(path.join(shimmy.home, ".shimmy/plugins.lock.json"), "utf8"));

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "shimmy-plugin-add-"));
  registry = await startRegistryProcess({ dataDir: path.join(work, "data"), tokenFile: writeTokenFile(work) });
  const plugins = inject("firstPartyPlugins");
  for (const name of ["calculator", "time", "web-search", "http-get", "file-read"]) await publish(fs.readFileSync(packedPlugin(plugins, name).tgz));
  calculatorFiles = unpack(packedPlugin(plugins, "calculator").tgz);
  proxy = await startRegistryProxy(registry.url);
  shimmy = await startShimmy({ args: ["--model", path.join(ROOT, "models/stories260K.gguf"), "--no-discovery"] });
});

afterAll(async () => {
  await shimmy?.stop();
  await proxy?.close();
  await registry?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe("shimmy plugin add NAME --registry URL", () => {
  it("shows the plugin, its integrity and signer, installs it, pins the key, and the running server calls its tool", async () => {
    const run = await add(["add", "calculator", "--registry", proxy.url, "--yes"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain("calculator 1.0.0: Exact decimal arithmetic");
    expect(run.stdout).toContain("Tools: calculate");
    expect(run.stdout).toContain("It may reach:\n  nothing: no network, no files");
    const integrity = packedPlugin(inject("firstPartyPlugins"), "calculator").integrity;
    expect(run.stdout).toContain(`Integrity ${integrity}`);
    expect(run.stdout).toMatch(new RegExp(`Signer    ${proxy.url}, key SHA256:\\S+ \\(first use: this key will be pinned\\)`));
    expect(run.stdout).toContain(`Installed calculator 1.0.0 from ${proxy.url} (${integrity})`);
    expect(run.stderr).toContain("downloading calculator@1.0.0: 100%");
    const keys = (await (await fetch(`${registry.url}/-/npm/v1/keys`)).json()) as { keys: { keyid: string }[] };
    expect(lock().plugins.calculator).toMatchObject({ version: "1.0.0", integrity, source: `${proxy.url}/calculator/-/calculator-1.0.0.tgz`, registry: { url: proxy.url, range: "^1.0.0", keyid: keys.keys[0]!.keyid } });
    const config = JSON.parse(fs.readFileSync(path.join(shimmy.home, ".shimmy/config.json"), "utf8"));
    expect(config.registries.keys[proxy.url].map((k: { keyid: string }) => k.keyid)).toEqual([keys.keys[0]!.keyid]);

    await waitForPlugins(shimmy.url, (all) => all.some((p) => p.name === "calculator" && p.status === "ready"));
    expect(await adminApi(shimmy.url, "/api/tools/call", { name: "calculate", arguments: { expression: "0.1+0.2" } })).toEqual({ status: 200, json: { result: { result: "0.3" } } });
  });

  it("describes a plugin from the registry and finds it by search", async () => {
    const info = await add(["info", "time", "--registry", proxy.url]);
    expect(info.code, info.stderr).toBe(0);
    expect(info.stdout).toMatch(/^time 1\.0\.0: /);
    expect(info.stdout).toContain("Tools:\n  now");
    const search = await add(["search", "time", "--registry", proxy.url, "--json"]);
    expect(JSON.parse(search.stdout).map((h: { name: string }) => h.name)).toContain("time");
  });
});

describe("attacks: a clear error, and nothing changed on disk", () => {
  const refused = async (args: string[], pattern: RegExp, mode: RegistryProxy["mode"] = "pass") => {
    const before = snapshot(shimmy.home);
    proxy.mode = mode;
    try {
      const run = await add(args);
      expect(run.code, run.stdout).toBe(1);
      expect(run.stderr).toMatch(pattern);
    } finally {
      proxy.mode = "pass";
    }
    expect(snapshot(shimmy.home)).toEqual(before);
  };

  it("refuses a tarball changed in transit", () => refused(["add", "time", "--registry", proxy.url, "--yes"], /the tarball of time@1\.0\.0 does not match its integrity/, "tamper-tarball"));
  it("refuses a packument whose signed integrity was changed", () => refused(["add", "time", "--registry", proxy.url, "--yes"], /the registry signature of time@1\.0\.0 \(SHA256:\S+\) does not verify/, "tamper-packument"));
  it("refuses a registry whose signing key changed, saying how to accept it", () =>
    refused(["add", "time", "--registry", proxy.url, "--yes"], /the signing key of http:\/\/127\.0\.0\.1:\d+ changed: .* shimmy plugin add time --accept-new-key/, "new-key"));
  it("refuses a range no version satisfies, listing the versions", () => refused(["add", "time@^9", "--registry", proxy.url, "--yes"], /no version of time matches "\^9": no published version satisfies it\. Versions: 1\.0\.0; tags: latest → 1\.0\.0/));
  it("names a registry that dies mid-download", () => refused(["add", "time", "--registry", proxy.url, "--yes"], /the registry at http:\/\/127\.0\.0\.1:\d+ (stopped sending|closed the connection).* nothing was installed/, "die-mid-download"));

  it("refuses an npm package without shimmy-plugin.json", async () => {
    const tarball = rawTarball([
      { name: "package/package.json", body: JSON.stringify({ name: "@me/left-pad", version: "1.0.0" }) },
      { name: "package/index.js", body: "module.exports = (s) => s;\n" },
    ]);
    const bare = await startBareRegistry("@me/left-pad", "1.0.0", tarball, sri(tarball));
    try {
      await refused(["add", "@me/left-pad", "--registry", bare.url, "--yes"], /@me\/left-pad@1\.0\.0 is an npm package but not a Shimmy plugin: it has no shimmy-plugin\.json/);
    } finally {
      await bare.close();
    }
  });
});

describe("updates within the recorded range", () => {
  it("lists what is outdated, updates without asking, and asks again when permissions widen", async () => {
    await publish(pluginTarball(calculatorFiles, "calculator", "1.1.0"));
    const outdated = await add(["outdated"]);
    expect(outdated.stdout).toMatch(/calculator\s+1\.0\.0\s+1\.1\.0\s+1\.1\.0/);
    const updated = await add(["update", "calculator"]);
    expect(updated.code, updated.stderr).toBe(0);
    expect(updated.stdout).toContain("Updated calculator 1.0.0 → 1.1.0");

    await publish(pluginTarball(calculatorFiles, "calculator", "1.2.0", { edit: (m) => (m.permissions = { net: ["https://api.example.com"] }) }));
    const before = snapshot(shimmy.home);
    const asked = await add(["update"]);
    expect(asked.code).toBe(1);
    expect(asked.stdout).toContain("New since the installed version:\n  net https://api.example.com");
    expect(asked.stdout).toContain("Update calculator 1.2.0? [y/N]");
    expect(snapshot(shimmy.home)).toEqual(before);
    const approved = await add(["update", "--yes"]);
    expect(approved.stdout).toContain("Updated calculator 1.1.0 → 1.2.0");
    expect(lock().plugins.calculator.permissions.net).toEqual(["https://api.example.com"]);
  });

  it("accepts a changed key when told, and pins it", async () => {
    proxy.mode = "new-key";
    try {
      const run = await add(["add", "time", "--registry", proxy.url, "--yes", "--accept-new-key"]);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toMatch(/Pinned the signing key SHA256:\S+ of http/);
    } finally {
      proxy.mode = "pass";
    }
  });
});

describe("any npm-protocol registry", () => {
  it("installs from an unsigned registry that a scope in config.json names, saying it checks only the integrity", async () => {
    const home = fs.mkdtempSync(path.join(work, "home-"));
    const tarball = pluginTarball(calculatorFiles, "@me/calc", "1.0.0");
    const bare = await startBareRegistry("@me/calc", "1.0.0", tarball, sri(tarball));
    try {
      fs.mkdirSync(path.join(home, ".shimmy"));
      fs.writeFileSync(path.join(home, ".shimmy/config.json"), JSON.stringify({ registries: { scopes: { "@me": bare.url } } }));
      // The default registry is dead: only the scope can have sent it there.
      const run = await pluginCli(home, ["add", "@me/calc", "--yes"], "", 60_000, { SHIMMY_REGISTRY: "http://127.0.0.1:1" });
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toContain(`does not sign its packages; only the integrity it lists is checked`);
      const entry = JSON.parse(fs.readFileSync(path.join(home, ".shimmy/plugins.lock.json"), "utf8")).plugins["@me/calc"];
      expect(entry).toMatchObject({ version: "1.0.0", integrity: sri(tarball), registry: { url: expect.stringContaining(bare.url), range: "^1.0.0" } });
      expect(entry.registry).not.toHaveProperty("keyid");
    } finally {
      await bare.close();
    }
  });
});

describe("with no registry at all", () => {
  it("installs the bundled first-party plugin for a bare name", async () => {
    const home = fs.mkdtempSync(path.join(work, "home-"));
    const run = await pluginCli(home, ["add", "web-search", "--yes"], "", 60_000, { SHIMMY_REGISTRY: "http://127.0.0.1:1" });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain("Signer    bundled with Shimmy");
    const entry = JSON.parse(fs.readFileSync(path.join(home, ".shimmy/plugins.lock.json"), "utf8")).plugins["web-search"];
    expect(entry).toMatchObject({ version: "1.1.0", integrity: packedPlugin(inject("firstPartyPlugins"), "web-search").integrity, registry: { url: "bundled", range: "^1.1.0" } });
  });
});
