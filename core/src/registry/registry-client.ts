/**
 * What the core asks of an npm-protocol registry: a packument (`GET /NAME`), the signing keys
 * (`GET /-/npm/v1/keys`), search (`GET /-/v1/search`) and tarballs, each bounded in time and size
 * (http.ts). It only fetches; resolving, verifying and installing are other modules' jobs.
 */
import { registryGet, registryGetJson, type RegistryGetOptions } from "./http.js";
import { readPackument, type Packument } from "./packument.js";
import { RegistryError } from "./registry-error.js";
import type { RegistryKey } from "./signatures.js";

/** Options of {@link RegistryClient}. */
export interface RegistryClientOptions {
  /** The registry, normalized (`http://host:port`, no trailing slash). */
  registry: string;
  /** Sent to the registry's own origin, never to another host a tarball URL may name. */
  token?: string | undefined;
  /** See {@link RegistryGetOptions.timeoutMs}. @default 30000 */
  timeoutMs?: number;
  /** Largest packument accepted. @default 16 MiB */
  maxPackumentBytes?: number;
  /** The `fetch` to use (tests). */
  fetch?: typeof fetch;
}

/** One hit of {@link RegistryClient.search}, from npm's search shape plus a Shimmy registry's additions. */
export interface SearchHit {
  name: string;
  version: string;
  description: string;
  /** Capability kinds, when the registry is a Shimmy registry. */
  capabilities: string[];
  permissions: Record<string, unknown>;
  deprecated: string | null;
}

/** The default of {@link RegistryClientOptions.maxPackumentBytes}. */
export const MAX_PACKUMENT_BYTES = 16 * 1024 * 1024;

/** A package name as npm puts it in a URL: `@scope%2fname` for scoped names. */
export function packagePath(name: string): string {
  return `/${name.split("/").map(encodeURIComponent).join("%2f").replace(/^%40/, "@")}`;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/** A client of one registry. */
export class RegistryClient {
  readonly registry: string;
  private readonly options: RegistryClientOptions;

  constructor(options: RegistryClientOptions) {
    this.registry = options.registry;
    this.options = options;
  }

  private get(url: string): Pick<RegistryGetOptions, "token" | "timeoutMs" | "fetch"> {
    const own = new URL(url).origin === new URL(this.registry).origin;
    return {
      ...(own && this.options.token ? { token: this.options.token } : {}),
      ...(this.options.timeoutMs === undefined ? {} : { timeoutMs: this.options.timeoutMs }),
      ...(this.options.fetch ? { fetch: this.options.fetch } : {}),
    };
  }

  /**
   * The packument of `name`. The full document, not npm's abbreviated one: only the full one
   * carries `shimmyPlugin` (what a plugin may reach, shown before downloading it).
   * @throws {RegistryError} `not_found` naming the registry when it has no such package.
   */
  async packument(name: string): Promise<Packument> {
    const url = `${this.registry}${packagePath(name)}`;
    const data = await registryGetJson(url, `"${name}"`, { ...this.get(url), maxBytes: this.options.maxPackumentBytes ?? MAX_PACKUMENT_BYTES });
    return readPackument(data, name, this.registry);
  }

  /** The registry's signing keys; empty when it publishes none (a registry that does not sign). */
  async keys(): Promise<RegistryKey[]> {
    const url = `${this.registry}/-/npm/v1/keys`;
    const data = await registryGetJson(url, "its signing keys", { ...this.get(url), maxBytes: 1024 * 1024, allowNotFound: true });
    if (data === null) return [];
    if (!isObject(data) || !Array.isArray(data.keys)) throw new RegistryError("bad_response", `${this.registry}/-/npm/v1/keys is not npm's {"keys": [...]}`);
    return data.keys.filter((k): k is RegistryKey => isObject(k) && typeof k.keyid === "string" && typeof k.key === "string");
  }

  /** `GET /-/v1/search?text=…&size=…`. */
  async search(text: string, size = 20): Promise<SearchHit[]> {
    const url = `${this.registry}/-/v1/search?text=${encodeURIComponent(text)}&size=${size}`;
    const data = await registryGetJson(url, "search results", { ...this.get(url), maxBytes: 8 * 1024 * 1024 });
    if (!isObject(data) || !Array.isArray(data.objects)) throw new RegistryError("bad_response", `${this.registry} answered a search without npm's "objects"`);
    return data.objects.filter(isObject).filter((o) => isObject(o.package)).map((o) => {
      const pkg = o.package as Record<string, unknown>;
      const flags = isObject(o.flags) ? o.flags : {};
      return {
        name: String(pkg.name),
        version: String(pkg.version),
        description: typeof pkg.description === "string" ? pkg.description : "",
        capabilities: Array.isArray(pkg.capabilities) ? pkg.capabilities.map(String) : [],
        permissions: isObject(pkg.permissions) ? pkg.permissions : {},
        deprecated: typeof flags.deprecated === "string" ? flags.deprecated : null,
      };
    });
  }

  /**
   * Downloads a tarball, at most `maxBytes`, reporting progress.
   * @throws {RegistryError} `unreachable` when the registry dies midway, `too_large` past the cap.
   */
  async tarball(url: string, what: string, options: { maxBytes: number; onProgress?: (received: number, total: number | null) => void }): Promise<Buffer> {
    const bytes = await registryGet(url, `the tarball of ${what}`, { ...this.get(url), accept: "application/octet-stream", ...options });
    return bytes as Buffer;
  }
}
