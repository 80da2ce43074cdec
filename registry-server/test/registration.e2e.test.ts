/**
 * Open registration (`--open-registration`): `npm adduser`'s PUT makes an account and returns a
 * token that publishes; a wrong password, an owner from the token file and a closed registry are
 * refused.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { packedPlugin } from "../../scripts/first-party-plugins.js";
import { pluginTarball, publish, startRegistryProcess, unpack, writeTokenFile, type RegistryProcess } from "./helpers.js";

let work: string;
let registry: RegistryProcess;

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "registry-adduser-"));
  registry = await startRegistryProcess({ dataDir: path.join(work, "data"), tokenFile: writeTokenFile(work), args: ["--open-registration"] });
});

afterAll(async () => {
  await registry?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

/** The request `npm adduser` (legacy auth) sends. */
async function adduser(name: string, password: string) {
  const response = await fetch(`${registry.url}/-/user/org.couchdb.user:${encodeURIComponent(name)}`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ _id: `org.couchdb.user:${name}`, name, password, email: `${name}@example.com`, type: "user", roles: [], date: new Date().toISOString() }),
  });
  return { status: response.status, json: (await response.json()) as any };
}

describe("open registration", () => {
  it("makes an account whose token publishes, and logs in again with the password", async () => {
    const created = await adduser("carol", "correct horse battery");
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ ok: true, id: "org.couchdb.user:carol" });
    const token = created.json.token as string;
    const whoami = await fetch(`${registry.url}/-/whoami`, { headers: { authorization: `Bearer ${token}` } });
    expect(await whoami.json()).toEqual({ username: "carol" });
    const timeFiles = unpack(packedPlugin(inject("firstPartyPlugins"), "time").tgz);
    expect((await publish(registry.url, "@carol/clock", "1.0.0", pluginTarball(timeFiles, "@carol/clock", "1.0.0"), token)).status).toBe(201);

    const again = await adduser("carol", "correct horse battery");
    expect(again.status).toBe(201);
    expect(again.json.token).not.toBe(token);
    expect((await adduser("carol", "wrong password!")).status).toBe(401);
    // Tokens are kept hashed, and the file is the registry user's alone.
    const accounts = path.join(registry.dataDir, "accounts.json");
    expect(fs.readFileSync(accounts, "utf8")).not.toContain(token);
    expect(fs.statSync(accounts).mode & 0o077).toBe(0);
  });

  it("never registers an owner of the token file", async () => {
    const taken = await adduser("alice", "correct horse battery");
    expect(taken.status).toBe(409);
    expect(taken.json.error).toMatch(/already exists/);
  });
});
