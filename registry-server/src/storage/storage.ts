/**
 * What the registry keeps, behind one interface: package records (the index, one record per
 * name), tarballs addressed by their sha512, and the accounts made by open registration. The disk
 * implementation is {@link ./disk-storage.ts}; another (a database, an object store) only has to
 * keep the same promises: {@link RegistryStorage.writePackage} replaces a record in one atomic step,
 * and a tarball is stored before any record names it.
 */
import type { DistSignature } from "../signatures.js";

/** One published version, everything derived from its tarball at publish. */
export interface VersionRecord {
  /** `package/package.json` as published. */
  packageJson: Record<string, unknown>;
  /** `package/shimmy-plugin.json` as published. */
  plugin: Record<string, unknown>;
  /** sha512 SRI of the tarball: also its storage address. */
  integrity: string;
  /** hex sha1 of the tarball (npm's `dist.shasum`). */
  shasum: string;
  /** The tarball's size in bytes. */
  size: number;
  signatures: DistSignature[];
  /** ISO time of the publish. */
  publishedAt: string;
  /** The owner whose token published it. */
  publisher: string;
  /** The deprecation message, when deprecated. */
  deprecated?: string;
}

/** One package name: its owner, versions and dist-tags. */
export interface PackageRecord {
  name: string;
  /** The first publisher; only this owner's tokens publish or deprecate the name. */
  owner: string;
  created: string;
  modified: string;
  distTags: Record<string, string>;
  versions: Record<string, VersionRecord>;
  /** The README of the latest publish, for `npm view` and the browsing page. */
  readme?: string;
}

/** An account made by open registration (`npm adduser`). */
export interface UserRecord {
  /** scrypt of the password, hex, with its salt. */
  salt: string;
  hash: string;
  created: string;
}

/** The accounts made by open registration; tokens are kept only as sha256 hex. */
export interface AccountsRecord {
  users: Record<string, UserRecord>;
  /** sha256 hex of a token → the user it belongs to. */
  tokens: Record<string, string>;
}

/** Where the registry keeps its state. */
export interface RegistryStorage {
  /** Every package record, read once at start (search and name checks need them all). */
  loadPackages(): Promise<PackageRecord[]>;
  /** Replaces the record of `record.name` in one atomic step: a reader sees the old or the new one. */
  writePackage(record: PackageRecord): Promise<void>;
  /** Stores a tarball under its sha512 `integrity`, durably; storing the same bytes again is a no-op. */
  putTarball(integrity: string, bytes: Uint8Array): Promise<void>;
  /** The tarball stored under `integrity`, or null. */
  getTarball(integrity: string): Promise<Buffer | null>;
  loadAccounts(): Promise<AccountsRecord>;
  /** Replaces the accounts in one atomic step, readable only by the registry's user. */
  writeAccounts(accounts: AccountsRecord): Promise<void>;
}
