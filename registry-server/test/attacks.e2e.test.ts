/**
 * Hostile and mistaken publishes against the real registry process: each gets a clear 4xx in
 * npm's `{"error": ...}` shape, and the data folder is byte for byte what it was before.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { packedPlugin } from "../../scripts/first-party-plugins.js";
import { HEADER, limits, section, spinningModule } from "../../plugins-sdk/src/wasm-module.fixture.js";
import { gzipWithZeros } from "../../test/helpers/raw-tar.js";
import { pluginTarball, publish, publishBody, put, snapshot, sri, startRegistryProcess, TOKENS, unpack, writeTokenFile, type RegistryProcess } from "./helpers.js";

let work: string;
let registry: RegistryProcess;
let timeFiles: Record<string, Buffer>;
let httpGetFiles: Record<string, Buffer>;

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "registry-attacks-"));
  const plugins = inject("firstPartyPlugins");
  timeFiles = unpack(packedPlugin(plugins, "time").tgz);
  httpGetFiles = unpack(packedPlugin(plugins, "http-get").tgz);
  registry = await startRegistryProcess({ dataDir: path.join(work, "data"), tokenFile: writeTokenFile(work) });
  const first = await publish(registry.url, "alice-clock", "1.0.0", pluginTarball(timeFiles, "alice-clock", "1.0.0"), TOKENS.alice);
  expect(first.status, JSON.stringify(first.json)).toBe(201);
});

afterAll(async () => {
  await registry?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

/** Runs `attempt` and checks its status and error, and that nothing on disk changed. */
async function refused(attempt: () => Promise<{ status: number; json: any }>, status: number, error: RegExp): Promise<void> {
  const before = snapshot(registry.dataDir);
  const result = await attempt();
  expect(result.status, JSON.stringify(result.json)).toBe(status);
  expect(result.json.error).toMatch(error);
  expect(typeof result.json.code).toBe("string");
  expect(snapshot(registry.dataDir)).toEqual(before);
}

const clock = (version: string, options?: Parameters<typeof pluginTarball>[3]) => pluginTarball(timeFiles, "alice-clock", version, options);

describe("publish refusals", () => {
  it("refuses a tarball that does not match its declared integrity", async () => {
    const good = clock("1.0.1");
    const tampered = Buffer.from(good);
    tampered[tampered.length - 10]! ^= 0xff;
    await refused(() => publish(registry.url, "alice-clock", "1.0.1", tampered, TOKENS.alice, { integrity: sri(good) }), 400, /does not match the declared integrity/);
  });

  it("refuses '..', absolute and link entries, naming the entry", async () => {
    const cases: [Parameters<typeof pluginTarball>[3], RegExp][] = [
      [{ extra: [{ name: "package/../../evil.sh", body: "x" }] }, /"package\/\.\.\/\.\.\/evil\.sh" has a '\.\.' segment/],
      [{ extra: [{ name: "/etc/cron.d/evil", body: "x" }] }, /"\/etc\/cron\.d\/evil" has an absolute path/],
      [{ extra: [{ name: "package/passwd", type: "2", linkname: "/etc/passwd" }] }, /"package\/passwd" is a SymbolicLink to "\/etc\/passwd"/],
      [{ extra: [{ name: "package/hard", type: "1", linkname: "package/plugin.wasm" }] }, /"package\/hard" is a Link/],
      [{ extra: [{ name: "outside.txt", body: "x" }] }, /a path outside package\//],
    ];
    for (const [options, error] of cases) {
      await refused(() => publish(registry.url, "alice-clock", "1.0.1", clock("1.0.1", options), TOKENS.alice), 400, error);
    }
  });

  it("refuses a gzip bomb before inflating past the cap", async () => {
    const bomb = await gzipWithZeros(Buffer.alloc(0), 80 * 1024 * 1024);
    await refused(() => publish(registry.url, "alice-clock", "1.0.1", bomb, TOKENS.alice), 400, /unpacks to more than/);
  });

  it("refuses a manifest off the SDK's schema, listing the problems", async () => {
    const tarball = clock("1.0.1", { edit: (m) => (m.capabilities[0].kind = "weapon") });
    await refused(() => publish(registry.url, "alice-clock", "1.0.1", tarball, TOKENS.alice), 400, /shimmy-plugin\.json is not a valid manifest: capabilities\.0/);
  });

  it("refuses a wasm that imports a host function its permissions do not allow", async () => {
    const tarball = pluginTarball(httpGetFiles, "alice-fetch", "1.0.0", { edit: (m) => delete m.permissions });
    await refused(() => publish(registry.url, "alice-fetch", "1.0.0", tarball, TOKENS.alice), 400, /imports shimmy_http, which needs permissions\.net/);
  });

  it("refuses a wasm that is no module or lacks a declared export", async () => {
    await refused(() => publish(registry.url, "alice-clock", "1.0.1", clock("1.0.1", { wasm: Buffer.from("not wasm") }), TOKENS.alice), 400, /not a valid WebAssembly module/);
    const missing = clock("1.0.1", { edit: (m) => (m.capabilities[0].export = "no_such_export") });
    await refused(() => publish(registry.url, "alice-clock", "1.0.1", missing, TOKENS.alice), 400, /calls the export "no_such_export"/);
  });

  it("refuses a wasm whose start function or hs_init never returns, and one whose memory has no maximum", async () => {
    const spinning = (spin: "start" | "hs_init") => clock("1.0.1", { wasm: Buffer.from(spinningModule({ spin, exports: ["now", "date_add", "date_diff"] })) });
    // Both at once: each waits out the start deadline (5 s, the core's) in its own worker.
    await Promise.all([
      refused(() => publish(registry.url, "alice-clock", "1.0.1", spinning("start"), TOKENS.alice), 400, /did not finish instantiating within 5000 ms/),
      refused(() => publish(registry.url, "alice-clock", "1.0.1", spinning("hs_init"), TOKENS.alice), 400, /did not finish instantiating within 5000 ms/),
    ]);
    const unbounded = Buffer.from([...HEADER, ...section(5, [1, ...limits(1, null)])]);
    await refused(() => publish(registry.url, "alice-clock", "1.0.1", clock("1.0.1", { wasm: unbounded }), TOKENS.alice), 400, /memory declares no maximum/);
  });

  it("refuses a tarball whose name or version is not the request's", async () => {
    const other = clock("1.0.2");
    await refused(() => put(registry.url, "alice-clock", { ...publishBody("alice-clock", "1.0.1", other) }, TOKENS.alice), 400, /package\.json is alice-clock@1\.0\.2, but the request publishes alice-clock@1\.0\.1/);
  });

  it("refuses a publish without a token, or with an unknown one", async () => {
    await refused(() => publish(registry.url, "alice-clock", "1.0.1", clock("1.0.1"), ""), 401, /needs a token/);
    await refused(() => publish(registry.url, "alice-clock", "1.0.1", clock("1.0.1"), "not-a-real-token-000000"), 401, /not valid/);
  });

  it("refuses another owner's token, and another owner's scope", async () => {
    await refused(() => publish(registry.url, "alice-clock", "1.0.1", clock("1.0.1"), TOKENS.bob), 403, /belongs to another owner/);
    const scoped = pluginTarball(timeFiles, "@alice/timer", "1.0.0");
    await refused(() => publish(registry.url, "@alice/timer", "1.0.0", scoped, TOKENS.bob), 403, /only the owner "alice" publishes under @alice\//);
  });

  it("refuses to overwrite a published version", async () => {
    await refused(() => publish(registry.url, "alice-clock", "1.0.0", clock("1.0.0"), TOKENS.alice), 409, /already published; versions are immutable/);
  });

  it("refuses a new name within one edit of another owner's", async () => {
    for (const name of ["alice-clocks", "alice-cl0ck", "@bob/alice-clock"]) {
      await refused(() => publish(registry.url, name, "1.0.0", pluginTarball(timeFiles, name, "1.0.0"), TOKENS.bob), 403, /too close to "alice-clock"/);
    }
  });

  it("keeps the first-party names for a first-party owner", async () => {
    await refused(() => publish(registry.url, "calculator", "1.0.0", pluginTarball(timeFiles, "calculator", "1.0.0"), TOKENS.alice), 403, /"calculator" is reserved/);
    await refused(() => publish(registry.url, "web-serch", "1.0.0", pluginTarball(timeFiles, "web-serch", "1.0.0"), TOKENS.alice), 403, /too close to the first-party plugin "web-search"/);
    const firstParty = await publish(registry.url, "calculator", "1.0.0", pluginTarball(timeFiles, "calculator", "1.0.0"), TOKENS.shimmy);
    expect(firstParty.status).toBe(201);
  });

  it("answers 413 past the largest package and past the body limit", async () => {
    // Past the package cap (16 MiB), inside the body limit once base64-inflated.
    const huge = randomBytes(16.5 * 1024 * 1024);
    await refused(() => publish(registry.url, "alice-clock", "1.0.1", huge, TOKENS.alice), 413, /larger than 16777216 bytes/);
    const body = JSON.stringify({ versions: { "1.0.1": {} }, _attachments: { "x.tgz": { data: "A".repeat(26 * 1024 * 1024) } } });
    const before = snapshot(registry.dataDir);
    const response = await fetch(`${registry.url}/alice-clock`, { method: "PUT", headers: { "content-type": "application/json", authorization: `Bearer ${TOKENS.alice}` }, body });
    expect(response.status).toBe(413);
    expect(((await response.json()) as any).error).toMatch(/request body is larger than/);
    expect(snapshot(registry.dataDir)).toEqual(before);
  });

  it("still serves the one good version after every refusal", async () => {
    const doc = (await (await fetch(`${registry.url}/alice-clock`)).json()) as any;
    expect(Object.keys(doc.versions)).toEqual(["1.0.0"]);
  });
});
