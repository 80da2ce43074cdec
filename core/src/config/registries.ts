/**
 * Where `shimmy plugin` finds plugins: `--registry URL`, else `SHIMMY_REGISTRY`, else `registries`
 * in `$SHIMMY_HOME/config.json` (a default registry, registries by scope, and the signing keys
 * pinned on first use), else {@link DEFAULT_REGISTRY}. Publish tokens live in `secrets.json`
 * (`registries.URL.token`, written by `shimmy-plugin login`); one is sent when reading a registry
 * too, so private registries work. Read and written here and nowhere else.
 */
import fs from "node:fs";
import path from "node:path";
import { writeFileAtomic } from "../plugins/store/atomic-file.js";
import { ConfigError } from "./config-error.js";
import { readConfigFile, readSecretsFile } from "./config-file.js";
import type { ShimmyEnv } from "./environment.js";
import { DEFAULT_REGISTRY } from "./registries-schema.js";

export { DEFAULT_REGISTRY, registriesConfigSchema } from "./registries-schema.js";

/** A signing key pinned for a registry (one entry of its `GET /-/npm/v1/keys`). */
export interface PinnedKey {
  keyid: string;
  /** base64 SPKI DER. */
  key: string;
  keytype?: string;
  scheme?: string;
  expires?: string | null;
  /** When it was pinned, ISO 8601. */
  pinnedAt?: string;
}

/** The `registries` key of `config.json`. */
export interface RegistriesConfig {
  default?: string;
  scopes?: Record<string, string>;
  keys?: Record<string, PinnedKey[]>;
}



/**
 * A registry URL in its one form: `http(s)://host[:port][/path]`, no trailing slash, query,
 * fragment or credentials (as the SDK stores tokens under).
 *
 * @example normalizeRegistryUrl("http://127.0.0.1:4873/") // "http://127.0.0.1:4873"
 * @throws {ConfigError} naming `source` (the flag, variable or key) when it is no http(s) URL.
 */
export function normalizeRegistryUrl(url: string, source = "--registry"): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(`${source} must be a registry URL such as ${DEFAULT_REGISTRY}, got ${JSON.stringify(url)}`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new ConfigError(`${source} must be an http or https URL, got ${url}`);
  if (parsed.username || parsed.password) throw new ConfigError(`${source} must not carry credentials: store a token with shimmy-plugin login`);
  return `${parsed.origin}${parsed.pathname.replace(/\/+$/, "")}`;
}

/** The registry settings in effect for one command. */
export interface RegistrySettings {
  /** `--registry`, normalized; null when not given. */
  flag: string | null;
  /** The registry of a name nothing else decides: SHIMMY_REGISTRY, else `registries.default`, else {@link DEFAULT_REGISTRY}. */
  fallback: string;
  /** `registries.scopes`, normalized. */
  scopes: Record<string, string>;
  /** `registries.keys`. */
  keys: Record<string, PinnedKey[]>;
}

/** Reads the registry settings of `home` with `--registry` (`flag`) and `env`. */
export function registrySettings(home: string, env: ShimmyEnv, flag?: string): RegistrySettings {
  const registries = (readConfigFile(home).registries ?? {}) as RegistriesConfig;
  const fromEnv = env.SHIMMY_REGISTRY?.trim();
  return {
    flag: flag ? normalizeRegistryUrl(flag) : null,
    fallback: fromEnv
      ? normalizeRegistryUrl(fromEnv, "SHIMMY_REGISTRY")
      : registries.default
        ? normalizeRegistryUrl(registries.default, "config.json registries.default")
        : DEFAULT_REGISTRY,
    scopes: Object.fromEntries(Object.entries(registries.scopes ?? {}).map(([scope, url]) => [scope, normalizeRegistryUrl(url, `config.json registries.scopes.${scope}`)])),
    keys: registries.keys ?? {},
  };
}

/**
 * The registry for a name with `scope` (null for an unscoped one): `--registry`, else the scope's,
 * else the fallback. `explicit` says whether the flag or a scope chose it, the only two things that
 * send a first-party name anywhere but the bundled plugins.
 */
export function registryFor(settings: RegistrySettings, scope: string | null): { url: string; explicit: boolean } {
  if (settings.flag) return { url: settings.flag, explicit: true };
  const scoped = scope ? settings.scopes[scope] : undefined;
  return scoped ? { url: scoped, explicit: true } : { url: settings.fallback, explicit: false };
}

/**
 * Records `keys` as the pinned signing keys of `registry` in `config.json`, keeping every other
 * key of the file; written whole through a temporary file and a rename.
 */
export async function pinRegistryKeys(home: string, registry: string, keys: readonly PinnedKey[]): Promise<void> {
  const file = path.join(home, "config.json");
  // Validated first: a file the schema refuses is reported, never overwritten.
  readConfigFile(home);
  const data = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>) : {};
  const registries = (data.registries ?? {}) as RegistriesConfig;
  const pinnedAt = new Date().toISOString();
  data.registries = { ...registries, keys: { ...registries.keys, [registry]: keys.map((k) => ({ ...k, pinnedAt })) } };
  await writeFileAtomic(file, JSON.stringify(data, null, 2) + "\n", 0o644);
}

/** The token `shimmy-plugin login` stored for `registry` in `secrets.json`, if any. */
export function registryToken(home: string, registry: string): string | undefined {
  const registries = readSecretsFile(home).registries as Record<string, { token?: unknown }> | undefined;
  const token = registries?.[registry]?.token;
  return typeof token === "string" && token !== "" ? token : undefined;
}
