/**
 * The registry's state and its rules: package records cached in memory (loaded once at start,
 * written through on every change), one writer at a time through a queue, and the policies of who
 * may publish what (owners, scopes, reserved and look-alike names, immutable versions).
 */
import semver from "semver";
import type { Account } from "./accounts.js";
import { RegistryError } from "./errors.js";
import { RESERVED_NAMES, scopeOf, tooSimilar, versionOfTarball } from "./names.js";
import { checkPublish } from "./publish.js";
import { packument, type Packument } from "./resolve.js";
import { SearchIndex, type SearchQuery, type SearchResult } from "./search.js";
import type { Signer } from "./signatures.js";
import type { PackageRecord, RegistryStorage, VersionRecord } from "./storage/storage.js";
import type { PackageCaps } from "./package-reader.js";

/** Options of {@link Registry}. */
export interface RegistryOptions {
  storage: RegistryStorage;
  signer: Signer;
  /** @default PACKAGE_CAPS */
  caps?: PackageCaps;
  /** Runs between storing a tarball and switching the index to it (tests pause the process here). */
  afterTarball?: () => Promise<void>;
}

/** A dist-tag name: not something npm could read as a version or range. */
function validTag(tag: string): boolean {
  return /^[A-Za-z][A-Za-z0-9._-]{0,63}$/.test(tag) && semver.validRange(tag) === null;
}

/** The registry: read packuments, tarballs and search; publish and deprecate. */
export class Registry {
  private readonly storage: RegistryStorage;
  private readonly signer: Signer;
  private readonly caps: PackageCaps | undefined;
  private readonly afterTarball: (() => Promise<void>) | undefined;
  private readonly packages = new Map<string, PackageRecord>();
  /** Kept beside `packages`: every change of a record goes through `remember`, which updates both. */
  private readonly searchIndex = new SearchIndex();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: RegistryOptions) {
    this.storage = options.storage;
    this.signer = options.signer;
    this.caps = options.caps;
    this.afterTarball = options.afterTarball;
  }

  /** Loads every package record. */
  async open(): Promise<void> {
    for (const record of await this.storage.loadPackages()) this.remember(record);
  }

  /** The packument of `name` with tarball URLs on `baseUrl`, or null. */
  packument(name: string, baseUrl: string): Packument | null {
    const record = this.packages.get(name);
    return record ? packument(record, baseUrl) : null;
  }

  /** The bytes of a tarball by its file name, or null. */
  async tarball(name: string, file: string): Promise<Buffer | null> {
    const version = versionOfTarball(name, file);
    const entry = version === null ? undefined : this.packages.get(name)?.versions[version];
    return entry ? this.storage.getTarball(entry.integrity) : null;
  }

  /** npm's search over every package. */
  search(query: SearchQuery, baseUrl: string): SearchResult {
    return this.searchIndex.search(query, baseUrl);
  }

  private remember(record: PackageRecord): void {
    this.packages.set(record.name, record);
    this.searchIndex.set(record);
  }

  /** One writer at a time: each change reads the state the previous one left. */
  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Why `account` may not publish `version` of `name` given the current state, as an error; checked
   * once before the (costly) tarball checks, and again in the queue, where it counts.
   */
  private checkPolicy(name: string, version: string, account: Account): void {
    const record = this.packages.get(name);
    if (record) {
      if (record.owner !== account.owner) throw new RegistryError("not_owner", `"${name}" belongs to another owner; "${account.owner}" may not publish it`);
      if (record.versions[version]) throw new RegistryError("version_exists", `${name}@${version} is already published; versions are immutable, publish a new version`);
      return;
    }
    const scope = scopeOf(name);
    if (scope !== null && scope !== account.owner) throw new RegistryError("forbidden", `only the owner "${scope}" publishes under @${scope}/; "${account.owner}" may use @${account.owner}/`);
    if (!account.firstParty) {
      const reserved = RESERVED_NAMES.find((r) => tooSimilar(name, r));
      if (reserved === name) throw new RegistryError("name_reserved", `"${name}" is reserved for a first-party plugin`);
      if (reserved) throw new RegistryError("name_too_similar", `"${name}" is too close to the first-party plugin "${reserved}"; pick a more distinct name`);
    }
    for (const other of this.packages.values()) {
      if (other.owner !== account.owner && tooSimilar(name, other.name)) {
        throw new RegistryError("name_too_similar", `"${name}" is too close to "${other.name}", another owner's package; pick a more distinct name`);
      }
    }
  }

  /**
   * Publishes one version from an npm publish body, for `account`.
   *
   * @throws {RegistryError} any publish check or policy, as a 4xx.
   */
  async publish(name: string, body: Record<string, unknown>, account: Account): Promise<{ version: string; integrity: string }> {
    const versions = body.versions;
    const version = typeof versions === "object" && versions !== null ? Object.keys(versions)[0] : undefined;
    if (version !== undefined) this.checkPolicy(name, version, account);
    const candidate = await checkPublish(name, body, this.caps);
    const tags = candidate.tags.filter(validTag);
    if (tags.length !== candidate.tags.length) throw new RegistryError("invalid_request", `a dist-tag is a name such as "latest" or "beta", never a version or range`);
    const signature = this.signer.sign(candidate.name, candidate.version, candidate.integrity);
    return this.serial(async () => {
      this.checkPolicy(name, candidate.version, account);
      const now = new Date().toISOString();
      const entry: VersionRecord = {
        packageJson: candidate.packageJson,
        plugin: candidate.plugin,
        integrity: candidate.integrity,
        shasum: candidate.shasum,
        size: candidate.tarball.length,
        signatures: [signature],
        publishedAt: now,
        publisher: account.owner,
      };
      const previous = this.packages.get(name);
      const record: PackageRecord = {
        name,
        owner: previous?.owner ?? account.owner,
        created: previous?.created ?? now,
        modified: now,
        distTags: { ...previous?.distTags, ...Object.fromEntries(tags.map((tag) => [tag, candidate.version])) },
        versions: { ...previous?.versions, [candidate.version]: entry },
        ...(candidate.readme !== undefined ? { readme: candidate.readme } : previous?.readme !== undefined ? { readme: previous.readme } : {}),
      };
      if (!record.distTags.latest) record.distTags.latest = candidate.version;
      // The tarball is whole on disk before the index names it: a crash in between leaves an
      // unreferenced blob, never a version without its bytes.
      await this.storage.putTarball(candidate.integrity, candidate.tarball);
      await this.afterTarball?.();
      await this.storage.writePackage(record);
      this.remember(record);
      return { version: candidate.version, integrity: candidate.integrity };
    });
  }

  /**
   * Applies a packument update as `npm deprecate` sends it (the whole packument, PUT without
   * attachments): only each version's `deprecated` is taken, an empty or missing one clearing it.
   * Versions cannot be removed (no unpublish) or added (a publish carries its tarball).
   *
   * @throws {RegistryError} `not_found`, `not_owner`, `unpublish_forbidden` or `invalid_request`.
   */
  async update(name: string, body: Record<string, unknown>, account: Account): Promise<void> {
    return this.serial(async () => {
      const record = this.packages.get(name);
      if (!record) throw new RegistryError("not_found", `"${name}" is not published; a publish carries its tarball in _attachments`);
      if (record.owner !== account.owner) throw new RegistryError("not_owner", `"${name}" belongs to another owner; "${account.owner}" may not change it`);
      const versions = body.versions;
      if (typeof versions !== "object" || versions === null || Array.isArray(versions)) throw new RegistryError("invalid_request", "the update has no `versions` object");
      const sent = versions as Record<string, unknown>;
      const missing = Object.keys(record.versions).filter((v) => !Object.hasOwn(sent, v));
      if (missing.length > 0) throw new RegistryError("unpublish_forbidden", `versions are never removed from this registry (${missing.join(", ")}); deprecate them instead`);
      const added = Object.keys(sent).filter((v) => !record.versions[v]);
      if (added.length > 0) throw new RegistryError("invalid_request", `${added.join(", ")} is not published; a publish carries its tarball in _attachments`);
      const next: PackageRecord = { ...record, modified: new Date().toISOString(), versions: {} };
      for (const [version, entry] of Object.entries(record.versions)) {
        const given = sent[version] as { deprecated?: unknown } | null;
        const message = typeof given?.deprecated === "string" ? given.deprecated : "";
        const { deprecated: _old, ...rest } = entry;
        next.versions[version] = message ? { ...rest, deprecated: message } : rest;
      }
      await this.storage.writePackage(next);
      this.remember(next);
    });
  }
}
