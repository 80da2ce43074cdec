/**
 * `shimmy-plugin init`, `test` and `pack`, end to end in temp folders: the generated plugin builds,
 * passes its examples in the real host (`@shimmy/core/plugins`, built), and packs to a deterministic
 * npm-layout tarball.
 */
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { list } from "tar";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "./run-cli.fixture.js";
import { tarballName } from "./pack.js";

const SDK_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const CALCULATOR = path.resolve(SDK_ROOT, "../plugins/calculator");

async function copyPlugin(from: string, to: string): Promise<void> {
  await fs.mkdir(path.join(to, "assembly"), { recursive: true });
  for (const f of ["shimmy-plugin.json", "README.md", "assembly/index.ts"]) await fs.copyFile(path.join(from, f), path.join(to, f));
}

/** The entries of a .tgz and the text of its package.json. */
async function tarEntries(file: string): Promise<{ paths: string[]; packageJson: Record<string, unknown>; modes: number[]; mtimes: number[] }> {
  const paths: string[] = [];
  const modes: number[] = [];
  const mtimes: number[] = [];
  let packageJson: Record<string, unknown> = {};
  const chunks: Buffer[] = [];
  await list({
    file,
    onReadEntry: (entry) => {
      paths.push(entry.path);
      modes.push(entry.mode ?? -1);
      mtimes.push(entry.mtime?.getTime() ?? -1);
      if (entry.path === "package/package.json") entry.on("data", (c: Buffer) => chunks.push(c));
      else entry.resume();
    },
  });
  if (chunks.length > 0) packageJson = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>;
  return { paths, packageJson, modes, mtimes };
}

describe("shimmy-plugin init, test and pack", () => {
  let tmp: string;

  beforeAll(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), "shimmy-plugin-cmds-"));
  });

  afterAll(async () => {
    await fs.rm(tmp, { recursive: true, force: true });
  });

  it("init creates a plugin that passes test and packs deterministically", async () => {
    const dir = path.join(tmp, "hello-plugin");
    const init = await run(["init", "@acme/hello-plugin", "--dir", dir]);
    expect(init.err).toBe("");
    expect(init.code).toBe(0);
    expect(init.out.split("\n")[0]).toBe(dir);
    expect((await fs.readdir(dir)).sort()).toEqual([".gitignore", "README.md", "assembly", "package.json", "shimmy-plugin.json"]);
    expect(await fs.readFile(path.join(dir, ".gitignore"), "utf8")).toMatch(/^plugin\.wasm$/m);
    const manifest = JSON.parse(await fs.readFile(path.join(dir, "shimmy-plugin.json"), "utf8")) as { name: string; version: string };
    expect(manifest.name).toBe("@acme/hello-plugin");

    const test = await run(["test", dir]);
    expect(test.err).toBe("");
    expect(test.code).toBe(0);
    expect(test.out).toMatch(/^ok greet \{"name":"Ada"\}/m);
    expect(test.out).toMatch(/1 of 1 examples passed/);

    const first = await run(["pack", dir, "--json"]);
    expect(first.err).toBe("");
    expect(first.code).toBe(0);
    const packed = JSON.parse(first.out) as { file: string; integrity: string; wasmSha256: string; size: number };
    expect(packed.file).toBe(path.join(dir, "acme-hello-plugin-0.1.0.tgz"));
    expect(packed.integrity).toMatch(/^sha512-[A-Za-z0-9+/]{86}==$/);
    expect(packed.wasmSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(packed.size).toBe((await fs.stat(packed.file)).size);

    const { paths, packageJson, modes, mtimes } = await tarEntries(packed.file);
    expect([...paths].sort()).toEqual(["package/README.md", "package/package.json", "package/plugin.wasm", "package/shimmy-plugin.json"]);
    expect(packageJson.name).toBe(manifest.name);
    expect(packageJson.version).toBe(manifest.version);
    expect(new Set(modes)).toEqual(new Set([0o644]));
    expect(new Set(mtimes).size).toBe(1);

    // Again, to another file, after a rebuild and a touch of the sources: the same bytes.
    const later = new Date(Date.now() + 60_000);
    await fs.utimes(path.join(dir, "README.md"), later, later);
    const out = path.join(tmp, "out", "again.tgz");
    const second = await run(["pack", dir, "--out", out]);
    expect(second.code).toBe(0);
    expect(second.out).toBe(`${out}\nintegrity ${packed.integrity}\nwasm sha256 ${packed.wasmSha256}\nsize ${packed.size}\n`);
    expect(await fs.readdir(path.join(tmp, "out"))).toEqual(["again.tgz"]);
  });

  it("init's $schema resolves once npm install has put the SDK in node_modules", async () => {
    const dir = path.join(tmp, "schema-plugin");
    expect((await run(["init", "schema-plugin", "--dir", dir])).code).toBe(0);
    const devPackage = JSON.parse(await fs.readFile(path.join(dir, "package.json"), "utf8")) as { private: boolean; devDependencies: Record<string, string> };
    const sdkPackage = JSON.parse(await fs.readFile(path.join(SDK_ROOT, "package.json"), "utf8")) as { name: string; version: string; files: string[] };
    expect(devPackage.private).toBe(true);
    expect(devPackage.devDependencies).toEqual({ [sdkPackage.name]: `^${sdkPackage.version}` });
    // What npm install (or npm link) leaves: node_modules/@shimmy/plugin-sdk, the published files of this package.
    expect(sdkPackage.files).toContain("schema");
    await fs.mkdir(path.join(dir, "node_modules", "@shimmy"), { recursive: true });
    await fs.symlink(SDK_ROOT, path.join(dir, "node_modules", sdkPackage.name), "dir");

    const manifest = JSON.parse(await fs.readFile(path.join(dir, "shimmy-plugin.json"), "utf8")) as { $schema: string };
    const schema = JSON.parse(await fs.readFile(path.resolve(dir, manifest.$schema), "utf8")) as { title: string };
    expect(schema).toEqual(JSON.parse(await fs.readFile(path.join(SDK_ROOT, "schema", "shimmy-plugin.schema.json"), "utf8")));
    expect(schema.title).toMatch(/shimmy-plugin\.json/);
    // The folder still builds and tests with node_modules in it.
    expect((await run(["test", dir])).code).toBe(0);
  });

  it("init --kind step creates a workflow step plugin whose examples test runs, failures included", async () => {
    const dir = path.join(tmp, "step-plugin");
    const init = await run(["init", "step-plugin", "--dir", dir, "--kind", "step"]);
    expect(init.err).toBe("");
    expect(init.code).toBe(0);
    const file = path.join(dir, "shimmy-plugin.json");
    const manifest = JSON.parse(await fs.readFile(file, "utf8")) as { capabilities: { kind: string; name: string }[]; examples: Record<string, unknown>[] };
    expect(manifest.capabilities.map((c) => `${c.kind} ${c.name}`)).toEqual(["step count_words"]);
    expect(await fs.readFile(path.join(dir, "README.md"), "utf8")).toMatch(/^## Step `count_words`$/m);

    const test = await run(["test", dir]);
    expect(test.err).toBe("");
    expect(test.code).toBe(0);
    expect(test.out).toMatch(/^ok step count_words \{"text":"one two three\\nfour {2}five"\} \(two lines, five words\)$/m);
    expect(test.out).toMatch(/2 of 2 examples passed/);

    // A wrong expected output fails, as a tool's does; the host checked the step's output against its schema.
    manifest.examples = [{ step: "count_words", input: { text: "a b" }, output: { words: 3, lines: 1 } }];
    await fs.writeFile(file, JSON.stringify(manifest));
    const failing = await run(["test", dir]);
    expect(failing.code).toBe(1);
    expect(failing.out.split("\n").slice(0, 3)).toEqual(['FAIL step count_words {"text":"a b"}', '  expected {"words":3,"lines":1}', '  got      {"words":2,"lines":1}']);

    expect((await run(["init", "bad-kind", "--dir", path.join(tmp, "bad-kind"), "--kind", "router"])).code).toBe(2);
    await expect(fs.access(path.join(tmp, "bad-kind"))).rejects.toThrow();
  });

  it("init --kind embedder creates an embedder plugin whose examples test runs through the host's checks", async () => {
    const dir = path.join(tmp, "embedder-plugin");
    const init = await run(["init", "embedder-plugin", "--dir", dir, "--kind", "embedder"]);
    expect([init.code, init.err]).toEqual([0, ""]);
    const file = path.join(dir, "shimmy-plugin.json");
    const manifest = JSON.parse(await fs.readFile(file, "utf8")) as { capabilities: { kind: string; name: string; dimensions: number }[]; examples: Record<string, unknown>[] };
    expect(manifest.capabilities.map((c) => `${c.kind} ${c.name} ${c.dimensions}`)).toEqual(["embedder hashed-words 64"]);
    expect(await fs.readFile(path.join(dir, "README.md"), "utf8")).toMatch(/^## Embedder `hashed-words` \(model `embedder-plugin\/hashed-words`\)$/m);

    const test = await run(["test", dir]);
    expect([test.code, test.err]).toEqual([0, ""]);
    expect(test.out).toMatch(/^ok embedder hashed-words \{"input":\["The quick brown fox","jumps over the lazy dog"\]\} \(two texts, two vectors\)$/m);
    expect(test.out).toMatch(/2 of 2 examples passed/);

    // The host holds the plugin to its manifest: vectors of 64 numbers where 32 are declared fail.
    manifest.capabilities[0]!.dimensions = 32;
    await fs.writeFile(file, JSON.stringify(manifest));
    const failing = await run(["test", dir]);
    expect(failing.code).toBe(1);
    expect(failing.out).toMatch(/^ {2}error invalid_output: .*must NOT have more than 32 items/m);
  });

  it("test runs the calculator's examples", async () => {
    const dir = path.join(tmp, "calculator");
    await copyPlugin(CALCULATOR, dir);
    const { code, out, err } = await run(["test", dir]);
    expect(err).toBe("");
    expect(code).toBe(0);
    expect(out).toMatch(/^ok calculate \{"expression":"1\+2\*3"\}/m);
    expect(out).toMatch(/4 of 4 examples passed/);
  });

  it("test reports a failing example and a failing call with exit 1", async () => {
    const dir = path.join(tmp, "wrong");
    expect((await run(["init", "wrong", "--dir", dir])).code).toBe(0);
    const file = path.join(dir, "shimmy-plugin.json");
    const manifest = JSON.parse(await fs.readFile(file, "utf8")) as { examples: unknown[] };
    manifest.examples = [
      { tool: "greet", input: { name: "Ada" }, output: { greeting: "Hi, Ada" } },
      { tool: "greet", input: { name: "boom" } },
      { tool: "greet", input: { name: "Bob" } },
    ];
    await fs.writeFile(file, JSON.stringify(manifest));
    // The manifest's own checks refuse an example input that breaks the schema, so the plugin fails instead.
    const source = path.join(dir, "assembly", "index.ts");
    const text = await fs.readFile(source, "utf8");
    await fs.writeFile(source, text.replace('  return ok(', '  if (name == "boom") return fail("boom!");\n  return ok('));
    const { code, out } = await run(["test", dir]);
    expect(code).toBe(1);
    const lines = out.split("\n");
    expect(lines[0]).toBe('FAIL greet {"name":"Ada"}');
    expect(lines[1]).toBe('  expected {"greeting":"Hi, Ada"}');
    expect(lines[2]).toBe('  got      {"greeting":"Hello, Ada!"}');
    expect(lines[3]).toBe('FAIL greet {"name":"boom"}');
    expect(lines[4]).toMatch(/^ {2}error plugin_error: .*boom!/);
    expect(lines[5]).toBe('ok greet {"name":"Bob"}');
    expect(out).toMatch(/1 of 3 examples passed/);
  });

  it("pack refuses a plugin without README.md", async () => {
    const dir = path.join(tmp, "no-readme");
    expect((await run(["init", "no-readme", "--dir", dir])).code).toBe(0);
    await fs.rm(path.join(dir, "README.md"));
    const { code, err } = await run(["pack", dir]);
    expect(code).toBe(1);
    expect(err).toMatch(/README\.md not found/);
    expect((await fs.readdir(dir)).filter((f) => f.endsWith(".tgz") || f.endsWith(".tmp"))).toEqual([]);
  });

  it("init refuses a non-empty folder and a bad name", async () => {
    const dir = path.join(tmp, "taken");
    await fs.mkdir(dir);
    await fs.writeFile(path.join(dir, "notes.txt"), "mine");
    const taken = await run(["init", "taken", "--dir", dir]);
    expect(taken.code).toBe(1);
    expect(taken.err).toMatch(/exists and is not empty/);
    expect(await fs.readdir(dir)).toEqual(["notes.txt"]);

    for (const bad of ["Bad Name", "UPPER", ".hidden", "a/b/c", 'quo"te']) {
      const res = await run(["init", bad, "--dir", path.join(tmp, "bad")]);
      expect(res.code, bad).toBe(1);
      expect(res.err, bad).toMatch(/invalid plugin name/);
    }
    await expect(fs.access(path.join(tmp, "bad"))).rejects.toThrow();

    // An empty folder is fine; the default folder is the name without its scope.
    const empty = path.join(tmp, "empty");
    await fs.mkdir(empty);
    expect((await run(["init", "empty", "--dir", empty])).code).toBe(0);
    expect(tarballName("@o/n", "1.2.3")).toBe("o-n-1.2.3.tgz");
  });

  it("usage errors exit 2", async () => {
    expect((await run(["init"])).code).toBe(2);
    expect((await run(["pack", "--frob"])).code).toBe(2);
    expect((await run(["pack", "--out"])).code).toBe(2);
    expect((await run(["test", "--config", "novalue"])).code).toBe(2);
    expect((await run(["test", "a", "b"])).code).toBe(2);
    expect((await run(["--help"])).out).toMatch(/pack \[DIR\]/);
  });
});
