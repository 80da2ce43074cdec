/**
 * `shimmy-plugin publish` and `login`, end to end against the real `shimmy-registry` process on
 * 127.0.0.1 (built: `npm run build --workspace registry-server`; the stdin test also runs the SDK's
 * own bin, so `npm run build --workspace plugins-sdk` too): a copy of the first-party `time`
 * plugin, renamed, is built, packed and published by the CLI and read back from the registry.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRegistryProcess, TOKENS, writeTokenFile, type RegistryProcess } from "../../registry-server/test/helpers.js";
import { normalizeRegistryUrl } from "./credentials.js";
import { publishBody } from "./publish.js";
import { packageUrlPath } from "./registry-client.js";
import { run } from "./run-cli.fixture.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const TIME = path.join(ROOT, "plugins/time");
const SDK_BIN = path.join(ROOT, "plugins-sdk/bin/shimmy-plugin.js");
/** Each publish compiles the plugin: tens of seconds on a loaded machine. */
const SLOW = 240_000;

/** Copies the `time` plugin's sources to `to`, renamed to `name@version`. */
async function copyTimePlugin(to: string, name: string, version: string): Promise<void> {
  await fs.mkdir(path.join(to, "assembly"), { recursive: true });
  for (const f of await fs.readdir(path.join(TIME, "assembly"))) await fs.copyFile(path.join(TIME, "assembly", f), path.join(to, "assembly", f));
  await fs.copyFile(path.join(TIME, "README.md"), path.join(to, "README.md"));
  await setIdentity(to, name, version);
}

/** Rewrites the manifest's name and version. */
async function setIdentity(dir: string, name: string, version: string): Promise<void> {
  const source = JSON.parse(await fs.readFile(path.join(TIME, "shimmy-plugin.json"), "utf8")) as Record<string, unknown>;
  delete source.$schema;
  await fs.writeFile(path.join(dir, "shimmy-plugin.json"), JSON.stringify({ ...source, name, version }, null, 2) + "\n");
}

function sri(bytes: Uint8Array): string {
  return `sha512-${createHash("sha512").update(bytes).digest("base64")}`;
}

async function getJson(url: string): Promise<any> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  return response.json();
}

describe("shimmy-plugin publish and login", () => {
  let work: string;
  let registry: RegistryProcess;
  let plugin: string;
  /** A Shimmy home without secrets, so nothing falls back to the user's own. */
  let emptyHome: string;

  beforeAll(async () => {
    work = await fs.mkdtemp(path.join(os.tmpdir(), "shimmy-plugin-publish-test-"));
    registry = await startRegistryProcess({ dataDir: path.join(work, "data"), tokenFile: writeTokenFile(work), args: ["--open-registration"] });
    plugin = path.join(work, "clock");
    await copyTimePlugin(plugin, "alice-clock", "1.0.0");
    emptyHome = path.join(work, "empty-home");
  });

  afterAll(async () => {
    await registry?.stop();
    await fs.rm(work, { recursive: true, force: true });
  });

  it(
    "publishes a plugin: the packument carries the printed integrity and serves the packed bytes",
    async () => {
      const published = await run(["publish", plugin, "--registry", registry.url, "--token", TOKENS.alice, "--json"], { env: { SHIMMY_HOME: emptyHome } });
      expect(published.err).toBe("");
      expect(published.code).toBe(0);
      const result = JSON.parse(published.out) as { name: string; version: string; tag: string; integrity: string; shasum: string; tarball: string; registry: string };
      expect(result).toMatchObject({ name: "alice-clock", version: "1.0.0", tag: "latest", registry: registry.url, tarball: `${registry.url}/alice-clock/-/alice-clock-1.0.0.tgz` });
      expect(result.integrity).toMatch(/^sha512-[A-Za-z0-9+/]{86}==$/);
      // The plugin folder keeps no tarball: publish packs into a temporary folder.
      expect((await fs.readdir(plugin)).filter((f) => f.endsWith(".tgz"))).toEqual([]);

      const packument = await getJson(`${registry.url}/alice-clock`);
      expect(packument["dist-tags"]).toEqual({ latest: "1.0.0" });
      const dist = packument.versions["1.0.0"].dist;
      expect(dist.integrity).toBe(result.integrity);
      expect(dist.shasum).toBe(result.shasum);
      expect(packument.versions["1.0.0"].shimmyPlugin.name).toBe("alice-clock");

      const tarball = new Uint8Array(await (await fetch(dist.tarball)).arrayBuffer());
      expect(sri(tarball)).toBe(result.integrity);
      expect(createHash("sha1").update(tarball).digest("hex")).toBe(result.shasum);
      // Reproducible: `pack` of the same folder writes the very bytes the registry stored.
      const packed = await run(["pack", plugin, "--out", path.join(work, "packed.tgz"), "--json"]);
      expect(packed.code).toBe(0);
      expect(JSON.parse(packed.out).integrity).toBe(result.integrity);
      expect(Buffer.compare(await fs.readFile(path.join(work, "packed.tgz")), Buffer.from(tarball))).toBe(0);
    },
    SLOW,
  );

  it(
    "refuses to publish the same version twice, with the registry's 409 and what to do",
    async () => {
      const again = await run(["publish", plugin, "--registry", registry.url, "--token", TOKENS.alice], { env: { SHIMMY_HOME: emptyHome } });
      expect(again.code).toBe(1);
      expect(again.out).toBe("");
      expect(again.err).toMatch(/^shimmy-plugin publish: .*refused PUT \/alice-clock: 409 version_exists: .*1\.0\.0/);
      expect(again.err).toMatch(/versions are immutable: bump "version" in shimmy-plugin\.json/);
    },
    SLOW,
  );

  it(
    "reports a wrong token (401) and another owner's name (403) with what to do",
    async () => {
      const wrong = await run(["publish", plugin, "--registry", registry.url, "--token", "not-a-token-of-this-registry"], { env: { SHIMMY_HOME: emptyHome } });
      expect(wrong.code).toBe(1);
      expect(wrong.err).toMatch(/401 unauthorized: the token is not valid on this registry/);
      expect(wrong.err).toMatch(/run shimmy-plugin login --registry http:\/\/127\.0\.0\.1:\d+/);

      await setIdentity(plugin, "alice-clock", "1.0.1");
      const bob = await run(["publish", plugin, "--registry", registry.url, "--token", TOKENS.bob], { env: { SHIMMY_HOME: emptyHome } });
      expect(bob.code).toBe(1);
      expect(bob.err).toMatch(/403 not_owner/);
      expect(bob.err).toMatch(/choose another name, or publish under your own scope/);
    },
    SLOW,
  );

  it(
    "login checks and stores the token (0600, other keys kept); publish then needs no --token",
    async () => {
      const home = path.join(work, "home");
      await fs.mkdir(home);
      const secrets = path.join(home, "secrets.json");
      await fs.writeFile(secrets, JSON.stringify({ apiKey: "server-key-0001", plugins: { weather: { apiKey: "w" } }, registries: { "http://other.example": { token: "other-token" } } }), { mode: 0o644 });

      const refused = await run(["login", "--registry", registry.url], { env: { SHIMMY_HOME: home }, readLine: async () => "wrong-token-000000000000" });
      expect(refused.code).toBe(1);
      expect(refused.err).toMatch(/401 unauthorized/);
      expect(JSON.parse(await fs.readFile(secrets, "utf8")).registries[registry.url]).toBeUndefined();

      const login = await run(["login", "--registry", `${registry.url}/`], { env: { SHIMMY_HOME: home }, readLine: async () => `  ${TOKENS.alice}  ` });
      expect(login.err).toBe("");
      expect(login.code).toBe(0);
      expect(login.out).toBe(`logged in to ${registry.url} as alice\ntoken stored in ${secrets}\n`);
      expect((await fs.stat(secrets)).mode & 0o777).toBe(0o600);
      expect(JSON.parse(await fs.readFile(secrets, "utf8"))).toEqual({
        apiKey: "server-key-0001",
        plugins: { weather: { apiKey: "w" } },
        registries: { "http://other.example": { token: "other-token" }, [registry.url]: { token: TOKENS.alice } },
      });
      expect((await fs.readdir(home)).sort()).toEqual(["secrets.json"]);

      await setIdentity(plugin, "alice-clock", "1.1.0");
      const published = await run(["publish", plugin, "--tag", "next"], { env: { SHIMMY_HOME: home, SHIMMY_REGISTRY: registry.url } });
      expect(published.err).toBe("");
      expect(published.code).toBe(0);
      expect(published.out).toMatch(new RegExp(`^published alice-clock@1\\.1\\.0 to ${registry.url} \\(dist-tag next\\)\\nintegrity (sha512-\\S+)\\n$`));
      const integrity = /integrity (\S+)/.exec(published.out)![1];
      const packument = await getJson(`${registry.url}/alice-clock`);
      expect(packument["dist-tags"]).toEqual({ latest: "1.0.0", next: "1.1.0" });
      expect(packument.versions["1.1.0"].dist.integrity).toBe(integrity);
    },
    SLOW,
  );

  it(
    "login --user --password registers on an open registry; a scoped name publishes under that owner",
    async () => {
      const home = path.join(work, "carol-home");
      const login = await run(["login", "--registry", registry.url, "--user", "carol", "--password", "carol-password-1"], { env: { SHIMMY_HOME: home } });
      expect(login.err).toBe("");
      expect(login.code).toBe(0);
      expect(login.out).toMatch(/^logged in to .* as carol\n/);
      expect((await fs.stat(path.join(home, "secrets.json"))).mode & 0o777).toBe(0o600);

      const scoped = path.join(work, "carol-clock");
      await copyTimePlugin(scoped, "@carol/clock", "2.0.0");
      const published = await run(["publish", scoped, "--registry", registry.url, "--json"], { env: { SHIMMY_HOME: home } });
      expect(published.err).toBe("");
      expect(published.code).toBe(0);
      const result = JSON.parse(published.out) as { name: string; integrity: string; tarball: string };
      expect(result.name).toBe("@carol/clock");
      expect(result.tarball).toBe(`${registry.url}/@carol/clock/-/clock-2.0.0.tgz`);
      const packument = await getJson(`${registry.url}/@carol%2fclock`);
      expect(packument.versions["2.0.0"].dist.integrity).toBe(result.integrity);
      const tarball = new Uint8Array(await (await fetch(packument.versions["2.0.0"].dist.tarball)).arrayBuffer());
      expect(sri(tarball)).toBe(result.integrity);

      const wrongPassword = await run(["login", "--registry", registry.url, "--user", "carol", "--password", "not-carols-password"], { env: { SHIMMY_HOME: home } });
      expect(wrongPassword.code).toBe(1);
      expect(wrongPassword.err).toMatch(/401 unauthorized: wrong password for the user "carol"/);
    },
    SLOW,
  );

  it("the bin reads login's token from stdin and exits 1 on a refusal", async () => {
    const home = path.join(work, "bin-home");
    const runBin = (args: string[], input: string) =>
      new Promise<{ code: number | null; out: string; err: string }>((resolve, reject) => {
        const child = spawn(process.execPath, [SDK_BIN, ...args], { env: { ...process.env, SHIMMY_HOME: home, SHIMMY_REGISTRY: registry.url }, stdio: ["pipe", "pipe", "pipe"] });
        let out = "";
        let err = "";
        child.stdout.on("data", (c: Buffer) => (out += c.toString()));
        child.stderr.on("data", (c: Buffer) => (err += c.toString()));
        child.once("error", reject);
        child.once("exit", (code) => resolve({ code, out, err }));
        child.stdin.end(input);
      });
    const ok = await runBin(["login"], `${TOKENS.bob}\nignored second line\n`);
    expect(ok.err).toBe("");
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/ as bob\n/);
    expect(JSON.parse(await fs.readFile(path.join(home, "secrets.json"), "utf8")).registries[registry.url].token).toBe(TOKENS.bob);
    const refused = await runBin(["login"], "wrong-token-000000000000\n");
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/401 unauthorized/);
  });

  it("exits 2 on usage mistakes and 1 without a token or a registry, before building anything", async () => {
    const env = { SHIMMY_HOME: emptyHome };
    for (const args of [
      ["publish", plugin, "--tag", "1.0.0"],
      ["publish", plugin, "--tag", ">=1"],
      ["publish", plugin, "--registry", "ftp://127.0.0.1:1"],
      ["publish", plugin, "--registry", "not a url"],
      ["publish", plugin, "extra"],
      ["login", "--user", "carol"],
      ["login", "--token", "t", "--user", "carol", "--password", "p"],
      ["login", "somewhere"],
    ]) {
      const result = await run(args, { env });
      expect(result.code, args.join(" ")).toBe(2);
      expect(result.err, args.join(" ")).toMatch(/^shimmy-plugin (publish|login): .+\n\nUsage:/);
    }
    expect((await run(["login", "--registry", registry.url], { env, readLine: async () => "" })).code).toBe(2);

    const noToken = await run(["publish", plugin, "--registry", registry.url], { env });
    expect(noToken.code).toBe(1);
    expect(noToken.err).toBe(`shimmy-plugin publish: no token for ${registry.url}\n  run shimmy-plugin login --registry ${registry.url}, or pass --token, or set SHIMMY_REGISTRY_TOKEN\n`);

    const unreachable = await run(["login", "--registry", "http://127.0.0.1:9", "--token", TOKENS.alice], { env });
    expect(unreachable.code).toBe(1);
    expect(unreachable.err).toMatch(/cannot reach the registry at http:\/\/127\.0\.0\.1:9 .*\n  is it running\?/);
  });

  it("builds npm's publish body and escapes scoped names as npm does", () => {
    expect(normalizeRegistryUrl("http://127.0.0.1:4873/")).toBe("http://127.0.0.1:4873");
    expect(normalizeRegistryUrl("https://r.example/npm/")).toBe("https://r.example/npm");
    expect(packageUrlPath("@carol/clock")).toBe("/@carol%2fclock");
    expect(packageUrlPath("alice-clock")).toBe("/alice-clock");
    const bytes = Buffer.from("not really a tarball");
    const body = publishBody({ name: "@carol/clock", version: "2.0.0", description: "d" }, bytes, { registry: "http://r", tag: "beta" }) as any;
    expect(body).toMatchObject({
      _id: "@carol/clock",
      name: "@carol/clock",
      description: "d",
      "dist-tags": { beta: "2.0.0" },
      versions: { "2.0.0": { name: "@carol/clock", version: "2.0.0", _id: "@carol/clock@2.0.0", dist: { integrity: sri(bytes), shasum: createHash("sha1").update(bytes).digest("hex"), tarball: "http://r/@carol/clock/-/clock-2.0.0.tgz" } } },
      _attachments: { "@carol/clock-2.0.0.tgz": { content_type: "application/octet-stream", data: bytes.toString("base64"), length: bytes.length } },
    });
  });
});
