import { describe, expect, it } from "vitest";
import type { PluginHost } from "./host.js";
import { LoadedPlugins } from "./loaded-plugins.js";
import type { PluginLoad, PluginToLoad } from "./plugin-loader.js";
import type { LockedPlugin } from "./store/lock-file.js";
import type { CommittedStore } from "./store/store-commit.js";
import { syncWithStore } from "./store-sync.js";
import { testLockEntry, testManifest } from "./test-plugins.fixture.js";

const ENTRY = testLockEntry();

/** A loader that "loads" every plugin into a stand-in host, recording what it was asked to load. */
function recordingLoader() {
  const asked: string[] = [];
  const load = async ({ name, entry, secrets, fingerprint }: PluginToLoad): Promise<PluginLoad> => {
    asked.push(name);
    // The first plugin asked for answers last: the snapshot must still keep the lock's order.
    if (asked.length === 1) await new Promise((resolve) => setTimeout(resolve, 10));
    const host = { name: `${name}@${entry.version}` } as unknown as PluginHost;
    return { state: "loaded", name, entry, manifest: testManifest(name, []), host, secretsSet: Object.keys(secrets), missingConfig: [], fingerprint };
  };
  return { asked, load };
}

function store(plugins: Record<string, LockedPlugin>, secrets: CommittedStore["secrets"] = {}, generation = 1): CommittedStore {
  return { lock: { lockfileVersion: 1, generation, plugins }, secrets };
}

describe("syncWithStore", () => {
  it("loads every plugin of a fresh store, in the lock's order, with the lock's generation", async () => {
    const { asked, load } = recordingLoader();
    const { plugins, fresh, stale } = await syncWithStore(new LoadedPlugins(), store({ a: ENTRY, b: ENTRY }, { b: { token: "t" } }, 4), load);
    expect(asked).toEqual(["a", "b"]);
    expect(plugins.all().map((p) => p.name)).toEqual(["a", "b"]);
    expect(plugins.get("b")?.secretsSet).toEqual(["token"]);
    expect(plugins.generation).toBe(4);
    expect(fresh).toHaveLength(2);
    expect(stale).toEqual([]);
  });

  it("keeps what did not change, reloads what did (lock entry or secrets), and retires the replaced and removed hosts", async () => {
    const first = recordingLoader();
    const { plugins: current } = await syncWithStore(new LoadedPlugins(), store({ same: ENTRY, bumped: ENTRY, secret: ENTRY, gone: ENTRY }), first.load);
    const second = recordingLoader();
    const next = await syncWithStore(current, store({ same: ENTRY, bumped: { ...ENTRY, version: "2.0.0" }, secret: ENTRY }, { secret: { token: "new" } }, 2), second.load);
    expect(second.asked.sort()).toEqual(["bumped", "secret"]);
    expect(next.plugins.get("same")).toBe(current.get("same"));
    const hostOf = (p: PluginLoad | undefined) => (p?.state === "loaded" ? p.host : undefined);
    expect(next.stale).toEqual(expect.arrayContaining([hostOf(current.get("bumped")), hostOf(current.get("secret")), hostOf(current.get("gone"))]));
    expect(next.stale).toHaveLength(3);
    expect(next.fresh).toEqual(expect.arrayContaining([hostOf(next.plugins.get("bumped")), hostOf(next.plugins.get("secret"))]));
    expect(next.plugins.get("gone")).toBeUndefined();
  });
});
