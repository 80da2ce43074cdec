/**
 * The Hugging Face hub cache layout, written as huggingface_hub writes it so that its tools,
 * llama.cpp and Shimmy's discovery (sources/huggingface.ts) share the files:
 *
 * ```
 * HUB/models--ORG--REPO/blobs/SHA256              the file, named by its sha256
 *                       blobs/SHA256.incomplete   a download in progress (resumed from here)
 *                       snapshots/COMMIT/FILE     a relative link to ../../blobs/SHA256
 *                       refs/main                 COMMIT
 * ```
 *
 * Discovery reads only `snapshots/`, and a link is made only once every file of a model is complete
 * and verified, so a download cut short (even by a full disk) is never listed as a model.
 */
import fs from "node:fs/promises";
import path from "node:path";

/** One repository's folder in the hub cache. */
export class HubCacheRepo {
  /** `HUB/models--ORG--REPO`. */
  readonly dir: string;

  constructor(hubCache: string, repo: string) {
    this.dir = path.join(hubCache, `models--${repo.replaceAll("/", "--")}`);
  }

  /** The complete, verified file of `sha256`. */
  blobPath(sha256: string): string {
    return path.join(this.dir, "blobs", sha256);
  }

  /** Where the download of `sha256` is written until it is verified. */
  partialPath(sha256: string): string {
    return `${this.blobPath(sha256)}.incomplete`;
  }

  /** The path `file` has in the snapshot of `commit`. */
  snapshotPath(commit: string, file: string): string {
    return path.join(this.dir, "snapshots", commit, ...file.split("/"));
  }

  /** Whether the blob of `sha256` is there with `size` bytes (a file verified by an earlier pull). */
  async hasBlob(sha256: string, size: number): Promise<boolean> {
    const stat = await fs.stat(this.blobPath(sha256)).catch(() => null);
    return stat !== null && stat.isFile() && stat.size === size;
  }

  /** Creates `blobs/` and returns the path of the partial file of `sha256`. */
  async preparePartial(sha256: string): Promise<string> {
    await fs.mkdir(path.join(this.dir, "blobs"), { recursive: true });
    return this.partialPath(sha256);
  }

  /** Moves a verified partial file to its blob. */
  async completeBlob(sha256: string): Promise<void> {
    await fs.rename(this.partialPath(sha256), this.blobPath(sha256));
  }

  /**
   * Links each file into the snapshot of `commit` and points `refs/main` at it. Links are replaced
   * by a rename, so a reader never sees a missing file; the paths of the links are returned in order.
   */
  async commit(commit: string, files: ReadonlyArray<{ path: string; sha256: string }>): Promise<string[]> {
    const links: string[] = [];
    for (const file of files) {
      const link = this.snapshotPath(commit, file.path);
      await fs.mkdir(path.dirname(link), { recursive: true });
      const target = path.relative(path.dirname(link), this.blobPath(file.sha256));
      const temporary = `${link}.${process.pid}.tmp`;
      await fs.rm(temporary, { force: true });
      await fs.symlink(target, temporary);
      await fs.rename(temporary, link);
      links.push(link);
    }
    await fs.mkdir(path.join(this.dir, "refs"), { recursive: true });
    const ref = path.join(this.dir, "refs", "main");
    await fs.writeFile(`${ref}.tmp`, commit);
    await fs.rename(`${ref}.tmp`, ref);
    return links;
  }
}
