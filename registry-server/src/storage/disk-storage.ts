/**
 * {@link RegistryStorage} on a local folder:
 *
 * ```
 * DATA/packages/<encoded name>.json   one record per package name (the index), replaced atomically
 * DATA/tarballs/<2 hex>/<sha512 hex>.tgz   tarballs, content-addressed
 * DATA/accounts.json                  accounts made by open registration (mode 0600)
 * ```
 *
 * A publish stores the tarball first and then replaces the package record, so after a crash at
 * any moment the index names only tarballs that are whole; a tarball no record names yet is
 * harmless and is written again by the next publish of the same bytes.
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import { integrityToHex } from "../integrity.js";
import { TEMP_SUFFIX, syncFolder, writeFileAtomic } from "./atomic-file.js";
import type { AccountsRecord, PackageRecord, RegistryStorage } from "./storage.js";

/** Options of {@link DiskStorage}. */
export interface DiskStorageOptions {
  /** The data folder; made when missing. */
  dir: string;
  /** Runs between writing a package record's temp file and renaming it into place (tests pause here). */
  beforeIndexSwitch?: () => Promise<void>;
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === "ENOENT";
}

/** A registry's state in one folder. Call {@link DiskStorage.open} before use. */
export class DiskStorage implements RegistryStorage {
  private readonly dir: string;
  private readonly beforeIndexSwitch: (() => Promise<void>) | undefined;

  constructor(options: DiskStorageOptions) {
    this.dir = path.resolve(options.dir);
    this.beforeIndexSwitch = options.beforeIndexSwitch;
  }

  private get packages(): string {
    return path.join(this.dir, "packages");
  }

  private get tarballs(): string {
    return path.join(this.dir, "tarballs");
  }

  /** Makes the folders and removes temp files a crash left behind. */
  async open(): Promise<void> {
    await fs.mkdir(this.packages, { recursive: true });
    await fs.mkdir(this.tarballs, { recursive: true });
    const leftovers = [
      ...(await fs.readdir(this.dir)).map((f) => path.join(this.dir, f)),
      ...(await fs.readdir(this.packages)).map((f) => path.join(this.packages, f)),
    ];
    for (const shard of await fs.readdir(this.tarballs)) {
      const folder = path.join(this.tarballs, shard);
      if ((await fs.stat(folder)).isDirectory()) leftovers.push(...(await fs.readdir(folder)).map((f) => path.join(folder, f)));
    }
    for (const file of leftovers.filter((f) => f.endsWith(TEMP_SUFFIX))) await fs.rm(file, { force: true });
  }

  private packageFile(name: string): string {
    // encodeURIComponent turns "@scope/name" into one safe file name ("%40scope%2Fname").
    return path.join(this.packages, `${encodeURIComponent(name)}.json`);
  }

  private tarballFile(integrity: string): string {
    const hex = integrityToHex(integrity);
    return path.join(this.tarballs, hex.slice(0, 2), `${hex}.tgz`);
  }

  async loadPackages(): Promise<PackageRecord[]> {
    const records: PackageRecord[] = [];
    for (const file of (await fs.readdir(this.packages)).filter((f) => f.endsWith(".json")).sort()) {
      const text = await fs.readFile(path.join(this.packages, file), "utf8");
      try {
        records.push(JSON.parse(text) as PackageRecord);
      } catch (error) {
        throw new Error(`${path.join(this.packages, file)} is not valid JSON: ${(error as Error).message}`, { cause: error });
      }
    }
    return records;
  }

  async writePackage(record: PackageRecord): Promise<void> {
    await writeFileAtomic(this.packageFile(record.name), JSON.stringify(record, null, 2) + "\n", { beforeRename: this.beforeIndexSwitch });
  }

  async putTarball(integrity: string, bytes: Uint8Array): Promise<void> {
    const file = this.tarballFile(integrity);
    const exists = await fs.stat(file).then(
      (s) => s.size === bytes.length,
      () => false,
    );
    if (exists) return;
    const folder = path.dirname(file);
    await fs.mkdir(folder, { recursive: true });
    await syncFolder(this.tarballs);
    await writeFileAtomic(file, bytes);
  }

  async getTarball(integrity: string): Promise<Buffer | null> {
    return fs.readFile(this.tarballFile(integrity)).catch((error) => {
      if (isMissing(error)) return null;
      throw error;
    });
  }

  async loadAccounts(): Promise<AccountsRecord> {
    const text = await fs.readFile(path.join(this.dir, "accounts.json"), "utf8").catch((error) => {
      if (isMissing(error)) return null;
      throw error;
    });
    return text === null ? { users: {}, tokens: {} } : (JSON.parse(text) as AccountsRecord);
  }

  async writeAccounts(accounts: AccountsRecord): Promise<void> {
    await writeFileAtomic(path.join(this.dir, "accounts.json"), JSON.stringify(accounts, null, 2) + "\n", { mode: 0o600 });
  }
}
