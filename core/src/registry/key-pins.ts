/**
 * Trust on first use for registry signing keys: the first time Shimmy talks to a registry that signs,
 * it pins the keys it serves (in `$SHIMMY_HOME/config.json`, `registries.keys`); afterwards only the
 * pinned keys verify signatures, and a registry serving other keys is refused until the user accepts
 * them (`--accept-new-key`). A registry that is replaced, or whose key is, cannot re-sign tampered
 * packages unnoticed. Pure: reading and writing the pins is config/registries.ts's job.
 */
import { RegistryError } from "./registry-error.js";
import { keyIdMatches, type RegistryKey } from "./signatures.js";

/** Which keys to trust for one registry, and what to pin once the install succeeds. */
export interface KeyTrust {
  /** Keys that may sign its versions; empty for a registry that signs nothing. */
  keys: RegistryKey[];
  /** Keys to record as pinned (first use, or accepted); null when the pins stay as they are. */
  pin: RegistryKey[] | null;
  /** True when the registry serves no keys and none were pinned: its packages are checked by integrity alone. */
  unsigned: boolean;
}

/** Options of {@link decideKeyTrust}. */
export interface KeyTrustOptions {
  /** `--accept-new-key`: replace the pinned keys with the served ones. */
  acceptNewKey?: boolean;
  /** The command to repeat with `--accept-new-key`, for the error message. */
  retry?: string;
}

const ids = (keys: readonly RegistryKey[]) => keys.map((k) => k.keyid).sort();
const same = (a: readonly RegistryKey[], b: readonly RegistryKey[]) =>
  a.length === b.length && a.every((key) => b.some((other) => other.keyid === key.keyid && other.key === key.key));

/**
 * Decides which keys to trust for `registry`, from what it serves now and what was pinned.
 *
 * @example
 * decideKeyTrust("http://127.0.0.1:4873", served, undefined) // first use: { keys: served, pin: served, unsigned: false }
 * @throws {RegistryError} `bad_response` for a key listed under another key's id; `key_changed` when
 *   the served keys differ from the pinned ones and `acceptNewKey` is not set.
 */
export function decideKeyTrust(registry: string, served: readonly RegistryKey[], pinned: readonly RegistryKey[] | undefined, options: KeyTrustOptions = {}): KeyTrust {
  const liar = served.find((key) => !keyIdMatches(key));
  if (liar) throw new RegistryError("bad_response", `${registry} lists a signing key under the id ${liar.keyid}, which is not that key's id: refusing its signatures`);
  if (pinned === undefined || pinned.length === 0) {
    return served.length === 0 ? { keys: [], pin: null, unsigned: true } : { keys: [...served], pin: [...served], unsigned: false };
  }
  if (same(served, pinned)) return { keys: [...pinned], pin: null, unsigned: false };
  if (options.acceptNewKey) return { keys: [...served], pin: [...served], unsigned: served.length === 0 };
  const now = served.length ? `it now serves ${ids(served).join(", ")}` : "it now serves no signing key at all";
  throw new RegistryError(
    "key_changed",
    `the signing key of ${registry} changed: ${ids(pinned).join(", ")} was pinned on first use ($SHIMMY_HOME/config.json, registries.keys), ${now}. ` +
      `A new key can mean the registry was replaced or tampered with; nothing was installed. If its operator rotated the key, accept the new one: ${options.retry ?? "repeat the command"} --accept-new-key`,
  );
}
