/**
 * One reload's plan and loads: which plugins of the committed store changed since the current
 * snapshot (their lock entry or secrets), loading those side by side, keeping the others as they
 * run, and naming the hosts the new snapshot no longer uses.
 */
import type { PluginHost } from "./host.js";
import { LoadedPlugins } from "./loaded-plugins.js";
import type { PluginLoad, PluginToLoad } from "./plugin-loader.js";
import { lockGeneration } from "./store/lock-file.js";
import type { CommittedStore } from "./store/store-commit.js";

/** The outcome of {@link syncWithStore}. */
export interface StoreSync {
  /** The new snapshot, to swap in whole. */
  plugins: LoadedPlugins;
  /** Hosts this sync started (to dispose if the server stopped meanwhile). */
  fresh: PluginHost[];
  /** Hosts of the old snapshot the new one replaced or dropped: dispose them once it is swapped in. */
  stale: PluginHost[];
}

/**
 * Loads what changed between `current` and `store`. Loads run side by side: a plugin slow to start
 * costs the sync its start deadline once, not once per plugin.
 */
export async function syncWithStore(current: LoadedPlugins, store: CommittedStore, load: (plugin: PluginToLoad) => Promise<PluginLoad>): Promise<StoreSync> {
  const fresh: PluginHost[] = [];
  const stale: PluginHost[] = [];
  const outcomes = await Promise.all(
    Object.entries(store.lock.plugins).map(async ([name, entry]): Promise<[string, PluginLoad]> => {
      const secrets = store.secrets[name] ?? {};
      const fingerprint = JSON.stringify([entry, secrets]);
      const running = current.get(name);
      if (running?.fingerprint === fingerprint) return [name, running];
      if (running?.state === "loaded") stale.push(running.host);
      const loaded = await load({ name, entry, secrets, fingerprint });
      if (loaded.state === "loaded") fresh.push(loaded.host);
      return [name, loaded];
    }),
  );
  const next = new Map(outcomes);
  for (const running of current.all()) if (!next.has(running.name) && running.state === "loaded") stale.push(running.host);
  return { plugins: new LoadedPlugins(next, lockGeneration(store.lock)), fresh, stale };
}
