/**
 * `upstreams` of `$SHIMMY_HOME/config.json` with their API keys from `secrets.json`
 * (`upstreams.NAME.apiKey`), normalized once: names unique, pool names apart from upstream names,
 * defaults filled in. Read here and nowhere else; `routing/upstreams/` serves them.
 */
import { ConfigError } from "./config-error.js";
import { readConfigFile, readSecretsFile } from "./config-file.js";

export { upstreamsConfigSchema, upstreamsSecretsSchema } from "./upstreams-schema.js";

/** Requests in flight to one upstream when `maxConcurrency` is not set. */
export const DEFAULT_UPSTREAM_CONCURRENCY = 4;
/** Seconds between health checks when `healthCheckSeconds` is not set. */
export const DEFAULT_HEALTH_CHECK_SECONDS = 10;

/** One upstream server, normalized. */
export interface UpstreamConfig {
  /** The prefix of its model ids. */
  name: string;
  /** The API root, `/v1` included, without a trailing slash. */
  baseURL: string;
  /** Sent as `Authorization: Bearer KEY`; from secrets.json, or the variable `apiKeyEnv` names. */
  apiKey?: string;
  /** The model ids to serve; absent: discovered from its `GET /models`. */
  models?: readonly string[];
  /** @default {@link DEFAULT_UPSTREAM_CONCURRENCY} */
  maxConcurrency: number;
  /** The pool it belongs to, if any. */
  pool?: string;
  /** @default {@link DEFAULT_HEALTH_CHECK_SECONDS} */
  healthCheckSeconds: number;
}

interface RawUpstream {
  name: string;
  baseURL: string;
  apiKeyEnv?: string;
  models?: string[];
  maxConcurrency?: number;
  pool?: string;
  healthCheckSeconds?: number;
}

/**
 * The upstreams of `home`'s config.json, with their keys (secrets.json's, or `env`'s variable that
 * `apiKeyEnv` names); none when the key is absent.
 * @throws ConfigError for a name used twice, a pool named like an upstream, a key for no upstream,
 *   or an `apiKeyEnv` variable that is unset (or set besides a secrets.json key).
 */
export function readUpstreams(home: string, env: NodeJS.ProcessEnv = process.env): UpstreamConfig[] {
  const raw = (readConfigFile(home).upstreams ?? []) as RawUpstream[];
  const keys = (readSecretsFile(home).upstreams ?? {}) as Record<string, { apiKey?: string }>;
  return normalizeUpstreams(raw, keys, env);
}

/**
 * Checks and fills in validated `upstreams` entries and `secrets.json`'s keys by name.
 * @throws ConfigError naming the entry at fault.
 */
export function normalizeUpstreams(raw: readonly RawUpstream[], keys: Readonly<Record<string, { apiKey?: string }>> = {}, env: NodeJS.ProcessEnv = {}): UpstreamConfig[] {
  const names = new Set<string>();
  for (const entry of raw) {
    if (names.has(entry.name)) throw new ConfigError(`config.json upstreams: the name "${entry.name}" is used twice; each upstream needs its own`);
    names.add(entry.name);
  }
  for (const entry of raw) {
    if (entry.pool !== undefined && names.has(entry.pool)) {
      throw new ConfigError(`config.json upstreams: the pool "${entry.pool}" has the name of an upstream; model ids NAME/MODEL must say which one they mean`);
    }
  }
  for (const name of Object.keys(keys)) {
    if (!names.has(name)) throw new ConfigError(`secrets.json upstreams: "${name}" is no upstream of config.json`);
  }
  return raw.map((entry) => ({
    name: entry.name,
    baseURL: entry.baseURL.replace(/\/+$/, ""),
    ...apiKeyOf(entry, keys[entry.name]?.apiKey, env),
    ...(entry.models ? { models: [...entry.models] } : {}),
    maxConcurrency: entry.maxConcurrency ?? DEFAULT_UPSTREAM_CONCURRENCY,
    ...(entry.pool ? { pool: entry.pool } : {}),
    healthCheckSeconds: entry.healthCheckSeconds ?? DEFAULT_HEALTH_CHECK_SECONDS,
  }));
}

/**
 * An upstream's key: secrets.json's, or the variable its `apiKeyEnv` names (a deployment that keeps
 * keys in the environment: a container's secrets, a systemd credential).
 * @throws ConfigError when that variable is unset or empty (the upstream would answer 401 to
 *   every request: better to say so at start), or when secrets.json has a key for it too.
 */
function apiKeyOf(entry: RawUpstream, secret: string | undefined, env: NodeJS.ProcessEnv): { apiKey?: string } {
  if (entry.apiKeyEnv === undefined) return secret ? { apiKey: secret } : {};
  if (secret) throw new ConfigError(`config.json upstreams: "${entry.name}" has a key in secrets.json and apiKeyEnv ${entry.apiKeyEnv}; keep one`);
  const value = env[entry.apiKeyEnv];
  if (!value) throw new ConfigError(`config.json upstreams: "${entry.name}" takes its API key from the environment variable ${entry.apiKeyEnv} (apiKeyEnv), which is not set`);
  return { apiKey: value };
}
