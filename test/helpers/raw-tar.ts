/**
 * Writes tarballs byte by byte, with any entry name and type: the hostile packages the store must
 * refuse (`..`, absolute paths, links), which `tar`'s own writer would sanitize away.
 */
import { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import { createGzip, gzipSync } from "node:zlib";

/** One entry: `type` "0" file, "1" hard link, "2" symlink, "5" directory. */
export interface RawEntry {
  name: string;
  type?: "0" | "1" | "2" | "5";
  body?: string | Uint8Array;
  linkname?: string;
}

function field(header: Buffer, offset: number, length: number, value: string): void {
  header.write(value, offset, Math.min(length, Buffer.byteLength(value)), "utf8");
}

function octal(value: number, length: number): string {
  return value.toString(8).padStart(length - 1, "0") + "\0";
}

/** A gzipped ustar archive of `entries`, exactly as given. */
export function rawTarball(entries: RawEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const body = entry.body === undefined ? Buffer.alloc(0) : Buffer.from(entry.body);
    const header = Buffer.alloc(512);
    field(header, 0, 100, entry.name);
    field(header, 100, 8, octal(0o644, 8));
    field(header, 108, 8, octal(0, 8));
    field(header, 116, 8, octal(0, 8));
    field(header, 124, 12, octal(entry.type === "0" || entry.type === undefined ? body.length : 0, 12));
    field(header, 136, 12, octal(499162500, 12));
    field(header, 148, 8, "        ");
    field(header, 156, 1, entry.type ?? "0");
    field(header, 157, 100, entry.linkname ?? "");
    field(header, 257, 6, "ustar\0");
    field(header, 263, 2, "00");
    let sum = 0;
    for (const byte of header) sum += byte;
    field(header, 148, 8, sum.toString(8).padStart(6, "0") + "\0 ");
    blocks.push(header);
    if (entry.type === "0" || entry.type === undefined) {
      blocks.push(body, Buffer.alloc((512 - (body.length % 512)) % 512));
    }
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}

/**
 * `head`, then `zeros` zero bytes, gzipped at level 9 as one stream (`head -c N /dev/zero | gzip -9`
 * after `head`), fed 1 MiB at a time so that making a bomb never holds it whole.
 */
export async function gzipWithZeros(head: Uint8Array, zeros: number): Promise<Buffer> {
  const mib = Buffer.alloc(1024 * 1024);
  async function* body() {
    yield Buffer.from(head);
    for (let left = zeros; left > 0; left -= mib.length) yield left >= mib.length ? mib : mib.subarray(0, left);
  }
  return buffer(Readable.from(body()).pipe(createGzip({ level: 9 })));
}
