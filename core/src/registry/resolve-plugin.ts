/**
 * From `NAME[@RANGE|@TAG]` to a verified package, in the order pacote works: pick the source (the
 * bundled plugins for a bare first-party name, else a registry), fetch the packument, pick the
 * version (pick-version.ts), decide which signing keys to trust (key-pins.ts) and verify the
 * version's registry signature, all before a byte of the tarball is fetched; then, once the caller
 * has shown the plan and the user agreed, download it (bounded, with progress) and check its
 * sha512 integrity before anything reads it.
 */
import { validateManifest, type PluginManifest } from "@shimmy/plugin-sdk";
import { registryFor, registryToken, type RegistrySettings } from "../config/index.js";
import type { FetchedPackage } from "../plugins/store/install.js";
import { PACKAGE_CAPS } from "../plugins/store/package-reader.js";
import { BUNDLED_DIR, BUNDLED_REGISTRY, bundledPackument, readBundledIndex, readBundledTarball } from "./bundled-index.js";
import { verifyIntegrity } from "./integrity.js";
import { decideKeyTrust } from "./key-pins.js";
import { parsePackageSpec, savedRange, type PackageSpec } from "./package-spec.js";
import type { Packument, PackumentVersion } from "./packument.js";
import { pickVersion } from "./pick-version.js";
import { RegistryClient } from "./registry-client.js";
import { RegistryError } from "./registry-error.js";
import { verifyVersionSignature, type RegistryKey } from "./signatures.js";

/** Options of {@link resolvePlugin}. */
export interface ResolvePluginOptions {
  /** The registry settings of this command (config/registries.ts). */
  settings: RegistrySettings;
  /** `$SHIMMY_HOME`, for registry tokens. */
  home: string;
  coreVersion: string;
  /** Look only here: a registry URL, or `bundled` (an update goes back where the plugin came from). */
  source?: string;
  /** `--accept-new-key`. */
  acceptNewKey?: boolean;
  /** The command to repeat with `--accept-new-key`, for the message. */
  retry?: string;
  /** The range updates stay within, instead of the one derived from the spec. */
  range?: string;
  /** @default BUNDLED_DIR */
  bundledDir?: string;
  /** See RegistryClientOptions. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** Who vouches for the package. */
export type Signer =
  | { kind: "registry"; keyid: string; /** Pinned by this install: the first time this registry was used. */ firstUse: boolean }
  | { kind: "unsigned" }
  | { kind: "bundled" };

/** A resolved plugin, verified as far as it can be without its tarball. */
export interface ResolvedPlugin {
  spec: PackageSpec;
  /** A registry URL, or `bundled`. */
  registry: string;
  version: PackumentVersion;
  /** The manifest the registry describes (limits filled in); null when it describes none or an invalid one. */
  manifest: PluginManifest | null;
  deprecated: string | null;
  supportsCore: boolean;
  signer: Signer;
  /** Keys to pin once the install succeeds; null to leave the pins alone. */
  pin: RegistryKey[] | null;
  /** The range the lock entry records. */
  range: string;
  /** Downloads (or reads) the tarball and checks its integrity. */
  download(onProgress?: (received: number, total: number | null) => void): Promise<FetchedPackage>;
}

/** A client of `registry` with the token stored for it. */
export function clientFor(registry: string, options: Pick<ResolvePluginOptions, "home" | "timeoutMs" | "fetch">): RegistryClient {
  return new RegistryClient({
    registry,
    token: registryToken(options.home, registry),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
}

/** Where `name` is looked up: `bundled` or a registry URL (`source` when given). */
export function sourceOf(name: string, options: Pick<ResolvePluginOptions, "settings" | "source" | "bundledDir">): string {
  if (options.source) return options.source;
  if (isBundledName(name, options.settings, options.bundledDir)) return BUNDLED_REGISTRY;
  return registryFor(options.settings, name.startsWith("@") ? name.slice(0, name.indexOf("/")) : null).url;
}

/**
 * The packument of `name` where {@link sourceOf} says, unverified: for showing versions (`info`,
 * `outdated`), never for installing.
 */
export async function lookupPackument(name: string, options: Pick<ResolvePluginOptions, "settings" | "source" | "bundledDir" | "home" | "timeoutMs" | "fetch">): Promise<{ source: string; packument: Packument }> {
  const source = sourceOf(name, options);
  if (source !== BUNDLED_REGISTRY) return { source, packument: await clientFor(source, options).packument(name) };
  const dir = options.bundledDir ?? BUNDLED_DIR;
  const entry = readBundledIndex(dir).plugins[name];
  if (!entry) throw new RegistryError("not_found", `"${name}" is not one of the plugins bundled with Shimmy`);
  return { source, packument: bundledPackument(name, entry, dir) };
}

/** Whether `name`, with these settings, means a plugin bundled with the core. */
export function isBundledName(name: string, settings: RegistrySettings, bundledDir: string = BUNDLED_DIR): boolean {
  return !registryFor(settings, name.startsWith("@") ? name.slice(0, name.indexOf("/")) : null).explicit && name in readBundledIndex(bundledDir).plugins;
}

function describedManifest(version: PackumentVersion): PluginManifest | null {
  if (!version.shimmyPlugin) return null;
  const checked = validateManifest(version.shimmyPlugin);
  return checked.ok ? checked.manifest : null;
}

/**
 * Resolves `specText` and verifies its signature; nothing is downloaded yet and nothing written.
 *
 * @example
 * const plugin = await resolvePlugin("web-search@^1", { settings, home, coreVersion: CORE_VERSION });
 * const fetched = await plugin.download((got, total) => bar.update(total ? got / total : 0));
 * @throws {RegistryError} for a bad spec, an unknown name, no matching version, an unreachable
 *   registry, a changed key or a signature that does not verify.
 */
export async function resolvePlugin(specText: string, options: ResolvePluginOptions): Promise<ResolvedPlugin> {
  const spec = parsePackageSpec(specText);
  const bundledDir = options.bundledDir ?? BUNDLED_DIR;
  const source = sourceOf(spec.name, options);
  const pick = { coreVersion: options.coreVersion };

  if (source === BUNDLED_REGISTRY) {
    const entry = readBundledIndex(bundledDir).plugins[spec.name];
    if (!entry) throw new RegistryError("not_found", `"${spec.name}" is not one of the plugins bundled with Shimmy`);
    const packument = bundledPackument(spec.name, entry, bundledDir);
    const picked = pickVersion(packument, spec, pick);
    return {
      spec, registry: BUNDLED_REGISTRY, version: picked.version, manifest: describedManifest(picked.version), deprecated: null, supportsCore: picked.supportsCore,
      signer: { kind: "bundled" }, pin: null, range: options.range ?? savedRange(spec, entry.version),
      download: async (onProgress) => {
        const tarball = readBundledTarball(spec.name, entry, bundledDir);
        onProgress?.(tarball.length, tarball.length);
        return { tarball, source: picked.version.dist.tarball, registry: { url: BUNDLED_REGISTRY, range: options.range ?? savedRange(spec, entry.version) }, expect: { name: spec.name, version: entry.version } };
      },
    };
  }

  const client = clientFor(source, options);
  const [packument, served] = await Promise.all([client.packument(spec.name), client.keys()]);
  const picked = pickVersion(packument, spec, pick);
  const version = picked.version;
  const trust = decideKeyTrust(source, served, options.settings.keys[source], { ...(options.acceptNewKey ? { acceptNewKey: true } : {}), ...(options.retry ? { retry: options.retry } : {}) });
  const what = `${spec.name}@${version.version}`;
  let signer: Signer = { kind: "unsigned" };
  if (!trust.unsigned) {
    signer = { kind: "registry", keyid: verifyVersionSignature(version, trust.keys, packument.time?.[version.version]), firstUse: trust.pin !== null };
  }
  const range = options.range ?? savedRange(spec, version.version);
  return {
    spec, registry: source, version, manifest: describedManifest(version), deprecated: picked.deprecated, supportsCore: picked.supportsCore,
    signer, pin: trust.pin, range,
    download: async (onProgress) => {
      const tarball = await client.tarball(version.dist.tarball, what, { maxBytes: PACKAGE_CAPS.maxTarballBytes, ...(onProgress ? { onProgress } : {}) });
      verifyIntegrity(tarball, version.dist.integrity, what);
      return {
        tarball,
        source: version.dist.tarball,
        registry: { url: source, range, ...(signer.kind === "registry" ? { keyid: signer.keyid } : {}) },
        expect: { name: spec.name, version: version.version },
      };
    },
  };
}
