/**
 * The bytes of uploaded files, on disk under `$SHIMMY_HOME/files/`, content-addressed by sha256
 * (`files/ab/abcdef…`): the same bytes uploaded twice are stored once, and a blob is never
 * rewritten, only created (temporary file, fsync, rename) or removed. Not in the database: files may
 * be tens of MiB, which would bloat the WAL and every backup of the state database, and a shared
 * deployment would move them to object storage, not to PostgreSQL.
 */
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

/** The blob folder of a Shimmy home. */
export function fileBlobsDir(home: string): string {
  return path.join(home, "files");
}

/** Content-addressed blobs in one folder. */
export class FileBlobs {
  private readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  private pathOf(sha256: string): string {
    return path.join(this.dir, sha256.slice(0, 2), sha256);
  }

  /** Stores `bytes` (atomically) unless already there; returns their sha256. */
  put(bytes: Uint8Array): string {
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    const target = this.pathOf(sha256);
    if (fs.existsSync(target)) return sha256;
    fs.mkdirSync(path.dirname(target), { recursive: true });
    const temp = `${target}.${randomBytes(6).toString("hex")}.tmp`;
    const fd = fs.openSync(temp, "w", 0o600);
    try {
      fs.writeSync(fd, bytes);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temp, target);
    return sha256;
  }

  /** The bytes of a blob. @throws when it is missing */
  get(sha256: string): Buffer {
    return fs.readFileSync(this.pathOf(sha256));
  }

  /** Removes a blob; nothing when it is gone already. */
  remove(sha256: string): void {
    fs.rmSync(this.pathOf(sha256), { force: true });
  }
}
