/**
 * The real `npm` CLI against the registry: publish a plugin folder with a token in `.npmrc`, then
 * view, pack, install, deprecate and whoami, each in a temporary HOME with its own npm cache.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { packedPlugin } from "../../scripts/first-party-plugins.js";
import { startRegistryProcess, TOKENS, unpack, writeTokenFile, type RegistryProcess } from "./helpers.js";

const run = promisify(execFile);
let work: string;
let registry: RegistryProcess;
let env: NodeJS.ProcessEnv;
let wasm: Buffer;
const NAME = "alice-npm-clock";

/** Runs npm in `cwd`; resolves with its exit code and output, never rejects. */
async function npm(cwd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run("npm", [...args, "--registry", `${registry.url}/`], { cwd, env, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : 1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "registry-npm-"));
  registry = await startRegistryProcess({ dataDir: path.join(work, "data"), tokenFile: writeTokenFile(work) });
  const npmrc = path.join(work, ".npmrc");
  fs.writeFileSync(npmrc, `registry=${registry.url}/\n//${new URL(registry.url).host}/:_authToken=${TOKENS.alice}\n`);
  env = {
    ...process.env,
    HOME: path.join(work, "home"),
    npm_config_userconfig: npmrc,
    npm_config_cache: path.join(work, "npm-cache"),
    npm_config_audit: "false",
    npm_config_fund: "false",
    npm_config_update_notifier: "false",
  };
  fs.mkdirSync(env.HOME!, { recursive: true });

  // A plugin folder as `npm publish` takes it: the packed time plugin, renamed.
  const files = unpack(packedPlugin(inject("firstPartyPlugins"), "time").tgz);
  wasm = files["plugin.wasm"]!;
  const folder = path.join(work, "plugin");
  fs.mkdirSync(folder);
  const pkg = { ...JSON.parse(files["package.json"]!.toString()), name: NAME };
  const manifest = { ...JSON.parse(files["shimmy-plugin.json"]!.toString()), name: NAME };
  delete manifest.$schema;
  fs.writeFileSync(path.join(folder, "package.json"), JSON.stringify(pkg, null, 2));
  fs.writeFileSync(path.join(folder, "shimmy-plugin.json"), JSON.stringify(manifest, null, 2));
  fs.writeFileSync(path.join(folder, "plugin.wasm"), wasm);
  fs.writeFileSync(path.join(folder, "README.md"), `# ${NAME}\n\nThe time plugin under another name.\n`);
});

afterAll(async () => {
  await registry?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe("the npm CLI", () => {
  it("publishes a plugin folder with the token from .npmrc", async () => {
    const result = await npm(path.join(work, "plugin"), ["publish"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`+ ${NAME}@1.0.0`);
  });

  it("views the published version with its plugin manifest", async () => {
    const result = await npm(work, ["view", NAME, "--json"]);
    expect(result.code, result.stderr).toBe(0);
    const view = JSON.parse(result.stdout);
    expect(view).toMatchObject({ name: NAME, version: "1.0.0", "dist-tags": { latest: "1.0.0" } });
    expect(view.shimmyPlugin.capabilities).toHaveLength(3);
    expect(view.dist.signatures).toHaveLength(1);
  });

  it("finds it with npm search, with its capability kinds", async () => {
    const result = await npm(work, ["search", "clock", "--json"]);
    expect(result.code, result.stderr).toBe(0);
    const hits = JSON.parse(result.stdout);
    expect(hits.find((h: any) => h.name === NAME)).toMatchObject({ version: "1.0.0", capabilities: ["tool"], permissions: {} });
  });

  it("packs the same bytes the packument's integrity names", async () => {
    const dir = fs.mkdtempSync(path.join(work, "pack-"));
    const result = await npm(dir, ["pack", NAME]);
    expect(result.code, result.stderr).toBe(0);
    const bytes = fs.readFileSync(path.join(dir, `${NAME}-1.0.0.tgz`));
    const view = JSON.parse((await npm(work, ["view", NAME, "dist", "--json"])).stdout);
    expect(`sha512-${createHash("sha512").update(bytes).digest("base64")}`).toBe(view.integrity);
  });

  it("installs the plugin into a project", async () => {
    const project = fs.mkdtempSync(path.join(work, "project-"));
    fs.writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: "project", version: "1.0.0", private: true }));
    const result = await npm(project, ["install", NAME, "--prefer-online"]);
    expect(result.code, result.stderr).toBe(0);
    expect(fs.readFileSync(path.join(project, "node_modules", NAME, "plugin.wasm")).equals(wasm)).toBe(true);
    const lock = JSON.parse(fs.readFileSync(path.join(project, "package-lock.json"), "utf8"));
    const view = JSON.parse((await npm(work, ["view", NAME, "dist", "--json"])).stdout);
    expect(lock.packages[`node_modules/${NAME}`].integrity).toBe(view.integrity);
  });

  it("shows the registry's reason when it refuses a publish", async () => {
    // npm itself refuses the same version again before sending it (it reads the packument first).
    const again = await npm(path.join(work, "plugin"), ["publish"]);
    expect(again.code).not.toBe(0);
    // Another owner's near copy of the name reaches the registry, which says why it refuses it.
    const folder = path.join(work, "squat");
    fs.cpSync(path.join(work, "plugin"), folder, { recursive: true });
    for (const file of ["package.json", "shimmy-plugin.json"]) {
      const json = JSON.parse(fs.readFileSync(path.join(folder, file), "utf8"));
      fs.writeFileSync(path.join(folder, file), JSON.stringify({ ...json, name: `${NAME}s` }));
    }
    fs.writeFileSync(path.join(folder, ".npmrc"), `//${new URL(registry.url).host}/:_authToken=${TOKENS.bob}\n`);
    const squat = await npm(folder, ["publish"]);
    expect(squat.code).not.toBe(0);
    expect(squat.stderr).toMatch(/403/);
    expect(squat.stderr).toMatch(/too close to "alice-npm-clock"/);
  });

  it("deprecates a version and tells whoami", async () => {
    const deprecate = await npm(work, ["deprecate", `${NAME}@1.0.0`, "use something else"]);
    expect(deprecate.code, deprecate.stderr).toBe(0);
    const view = await npm(work, ["view", NAME, "deprecated"]);
    expect(view.stdout.trim()).toBe("use something else");
    const whoami = await npm(work, ["whoami"]);
    expect(whoami.stdout.trim()).toBe("alice");
  });
});
