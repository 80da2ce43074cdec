/**
 * `kill -9` in the middle of a publish, at the two points where a half-done publish could show:
 * after the tarball is stored, and with the new index record durable but not renamed into place.
 * The registry is paused there deterministically (`SHIMMY_REGISTRY_TEST_PAUSE`), killed, and
 * restarted on the same data folder: the index reads, the version is simply absent, and
 * publishing it again works.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { packedPlugin } from "../../scripts/first-party-plugins.js";
import { pluginTarball, publish, startRegistryProcess, TOKENS, unpack, writeTokenFile, type RegistryProcess } from "./helpers.js";

let work: string;
let dataDir: string;
let tokenFile: string;
let timeFiles: Record<string, Buffer>;
const running: RegistryProcess[] = [];

async function start(env?: NodeJS.ProcessEnv): Promise<RegistryProcess> {
  const registry = await startRegistryProcess({ dataDir, tokenFile, ...(env ? { env } : {}) });
  running.push(registry);
  return registry;
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "registry-crash-"));
  dataDir = path.join(work, "data");
  tokenFile = writeTokenFile(work);
  timeFiles = unpack(packedPlugin(inject("firstPartyPlugins"), "time").tgz);
  const registry = await start();
  expect((await publish(registry.url, "alice-clock", "1.0.0", pluginTarball(timeFiles, "alice-clock", "1.0.0"), TOKENS.alice)).status).toBe(201);
  await registry.stop();
});

afterAll(async () => {
  for (const registry of running) await registry.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe("kill -9 during a publish", () => {
  for (const [point, version] of [
    ["after-tarball", "1.1.0"],
    ["before-index-rename", "1.2.0"],
  ] as const) {
    it(`leaves a readable index without the version when killed at ${point}`, async () => {
      const paused = await start({ SHIMMY_REGISTRY_TEST_PAUSE: point });
      const inFlight = publish(paused.url, "alice-clock", version, pluginTarball(timeFiles, "alice-clock", version), TOKENS.alice).catch((error: Error) => error);
      await paused.waitForStderr(new RegExp(`"event":"paused","at":"${point}"`));
      paused.child.kill("SIGKILL");
      expect(await inFlight).toBeInstanceOf(Error); // the connection died with the process
      await paused.stop();

      const restarted = await start();
      const doc = (await (await fetch(`${restarted.url}/alice-clock`)).json()) as any;
      expect(Object.keys(doc.versions)).not.toContain(version);
      expect(doc.versions["1.0.0"]).toBeDefined();
      const bytes = Buffer.from(await (await fetch(doc.versions["1.0.0"].dist.tarball)).arrayBuffer());
      expect(`sha512-${createHash("sha512").update(bytes).digest("base64")}`).toBe(doc.versions["1.0.0"].dist.integrity);
      const leftovers = fs.readdirSync(dataDir, { recursive: true }).map(String).filter((f) => f.endsWith(".tmp"));
      expect(leftovers).toEqual([]);

      // Nothing half-published blocks the version: publishing it again lands.
      const again = await publish(restarted.url, "alice-clock", version, pluginTarball(timeFiles, "alice-clock", version), TOKENS.alice);
      expect(again.status, JSON.stringify(again.json)).toBe(201);
      await restarted.stop();
    });
  }
});
