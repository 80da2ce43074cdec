/**
 * Reads a GGUF header with a bounded walk: the metadata, and the tensor infos measured, not kept.
 *
 * node-llama-cpp's `readGgufFileInfo` believes every count and length in a header: past the end of
 * the file it reads zeros, and a garbage array length makes it loop and allocate without end. It
 * also allocates and copies a 4 MB buffer per file, about 3 ms each, most of discovery's time over
 * a thousand small files. This reader checks each length against the bytes the file really has,
 * with the limits gguf.cpp applies (versions 2–3, tensor names under 64 bytes, at most 4
 * dimensions, known tensor types, offsets in order), measures the tensor data so that a truncated
 * file is caught here and not in llama.cpp, and reads in 256 KB chunks. Large arrays (the
 * vocabulary, its scores and merges) are measured, not decoded: the checks need only their lengths.
 */
import fs from "node:fs/promises";
import { GGML_TYPE_BLOCKS } from "./ggml-types.js";

/** What the walk read and measured. */
export interface GgufHeader {
  version: number;
  tensorCount: number;
  /** File offset where the tensor data starts. */
  dataOffset: number;
  /** File offset where the last tensor's data ends: a file shorter than this is truncated. */
  dataEnd: number;
  /** Elements of all tensors together: what llama.cpp reports as the parameter count. */
  elementCount: number;
  /**
   * The metadata by dotted key (`llama.context_length`). An array longer than {@link MAX_DECODED_ITEMS}
   * is an empty array of the right length (`new Array(n)`).
   */
  metadata: Record<string, unknown>;
}

/** The file is not a well-formed GGUF; the message says where. */
export class GgufFormatError extends Error {}

const CHUNK = 256 * 1024;
const MAX_KEY_BYTES = 64 * 1024;
const GGML_MAX_NAME = 64;
const GGML_MAX_DIMS = 4;
const STRING = 8, ARRAY = 9;
/** Arrays up to this many items are decoded (per-layer values); longer ones keep only their length. */
export const MAX_DECODED_ITEMS = 1024;
/** Byte sizes of the fixed-size metadata value types. */
const VALUE_BYTES = new Map([[0, 1], [1, 1], [2, 2], [3, 2], [4, 4], [5, 4], [6, 4], [7, 1], [10, 8], [11, 8], [12, 8]]);

/** Reads forward through a file in chunks, refusing to step past its end. */
class Cursor {
  pos = 0;
  private buf = Buffer.alloc(0);
  private bufStart = 0;
  constructor(private readonly handle: fs.FileHandle, private readonly size: number) {}

  get remaining(): number { return this.size - this.pos; }

  private async need(n: number, what: string): Promise<void> {
    if (n > this.remaining) throw new GgufFormatError(`the file ends inside its header (reading ${what} at byte ${this.pos})`);
    if (this.pos >= this.bufStart && this.pos + n <= this.bufStart + this.buf.length) return;
    const length = Math.min(Math.max(n, CHUNK), this.remaining);
    const buffer = Buffer.allocUnsafe(length);
    const { bytesRead } = await this.handle.read(buffer, 0, length, this.pos);
    if (bytesRead < n) throw new GgufFormatError(`the file ends inside its header (reading ${what} at byte ${this.pos})`);
    this.buf = buffer.subarray(0, bytesRead);
    this.bufStart = this.pos;
  }

  async u32(what: string): Promise<number> {
    await this.need(4, what);
    const v = this.buf.readUInt32LE(this.pos - this.bufStart);
    this.pos += 4;
    return v;
  }

  /** A u64 as a number; anything beyond 2^53 is larger than any real file, so it is refused. */
  async u64(what: string): Promise<number> {
    await this.need(8, what);
    const v = this.buf.readBigUInt64LE(this.pos - this.bufStart);
    this.pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new GgufFormatError(`${what} is out of range (${v})`);
    return Number(v);
  }

  /** One fixed-size value of metadata type `type` (whose size is `bytes`). */
  async value(type: number, bytes: number, what: string): Promise<number | bigint | boolean> {
    await this.need(bytes, what);
    const at = this.pos - this.bufStart;
    this.pos += bytes;
    const b = this.buf;
    switch (type) {
      case 0: return b.readUInt8(at);
      case 1: return b.readInt8(at);
      case 2: return b.readUInt16LE(at);
      case 3: return b.readInt16LE(at);
      case 4: return b.readUInt32LE(at);
      case 5: return b.readInt32LE(at);
      case 6: return b.readFloatLE(at);
      case 7: return b.readUInt8(at) !== 0;
      case 12: return b.readDoubleLE(at);
      default: {
        const v = type === 10 ? b.readBigUInt64LE(at) : b.readBigInt64LE(at);
        return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v;
      }
    }
  }

  skip(n: number, what: string): void {
    if (n > this.remaining) throw new GgufFormatError(`${what} runs past the end of the file`);
    this.pos += n;
  }

  async string(what: string, maxBytes: number): Promise<string> {
    const length = await this.u64(`${what} length`);
    if (length > maxBytes) throw new GgufFormatError(`${what} is ${length} bytes long (at most ${maxBytes})`);
    await this.need(length, what);
    const start = this.pos - this.bufStart;
    this.pos += length;
    return this.buf.toString("utf8", start, start + length);
  }

  /**
   * Skips `count` strings. Lengths already in the buffer are read synchronously: an `await` per string
   * made a 32,000-token vocabulary cost milliseconds per file.
   */
  async skipStrings(count: number, what: string): Promise<void> {
    for (let done = 0; done < count;) {
      await this.need(8, `${what} length`);
      const end = this.bufStart + this.buf.length;
      while (done < count && this.pos + 8 <= end) {
        const at = this.pos - this.bufStart;
        const high = this.buf.readUInt32LE(at + 4);
        const length = high * 2 ** 32 + this.buf.readUInt32LE(at);
        if (high > 0x1fffff || length > this.remaining - 8) throw new GgufFormatError(`${what} runs past the end of the file`);
        this.pos += 8 + length;
        done++;
      }
    }
  }
}

/** Longest string value decoded (chat templates run to tens of KB); a longer one reads as "", unallocated. */
export const MAX_STRING_VALUE_BYTES = 4 * 1024 * 1024;

async function readStringValue(cursor: Cursor, key: string): Promise<string> {
  const start = cursor.pos;
  const length = await cursor.u64(`${key} length`);
  if (length <= MAX_STRING_VALUE_BYTES) {
    cursor.pos = start;
    return cursor.string(key, MAX_STRING_VALUE_BYTES);
  }
  cursor.skip(length, key);
  return "";
}

/** Reads one metadata value (or array) of `type`. */
async function readValue(cursor: Cursor, type: number, key: string): Promise<unknown> {
  const bytes = VALUE_BYTES.get(type);
  if (bytes !== undefined) return cursor.value(type, bytes, key);
  if (type === STRING) return readStringValue(cursor, key);
  if (type !== ARRAY) throw new GgufFormatError(`${key} has an unknown value type ${type}`);
  const itemType = await cursor.u32(`item type of ${key}`);
  const count = await cursor.u64(`length of ${key}`);
  if (itemType === ARRAY) throw new GgufFormatError(`${key} is an array of arrays, which llama.cpp cannot read`);
  const itemBytes = VALUE_BYTES.get(itemType);
  if (itemBytes === undefined && itemType !== STRING) throw new GgufFormatError(`${key} has an unknown item type ${itemType}`);
  // Each string needs at least its 8-byte length: a count beyond what the file holds is garbage, not a long loop.
  if (count * (itemBytes ?? 8) > cursor.remaining) throw new GgufFormatError(`${key} runs past the end of the file (${count} items)`);
  if (count > MAX_DECODED_ITEMS) {
    if (itemBytes !== undefined) cursor.skip(count * itemBytes, key);
    else await cursor.skipStrings(count, key);
    return new Array(count);
  }
  const items: unknown[] = [];
  for (let j = 0; j < count; j++) items.push(itemBytes !== undefined ? await cursor.value(itemType, itemBytes, key) : await readStringValue(cursor, key));
  return items;
}

/** Reads the metadata key/value pairs, refusing what gguf.cpp refuses. */
async function readMetadata(cursor: Cursor, kvCount: number): Promise<Record<string, unknown>> {
  const metadata: Record<string, unknown> = Object.create(null);
  for (let i = 0; i < kvCount; i++) {
    const key = await cursor.string(`metadata key ${i}`, MAX_KEY_BYTES);
    if (key === "") throw new GgufFormatError(`metadata key ${i} is empty`);
    if (key in metadata) throw new GgufFormatError(`metadata key ${key} appears twice`);
    const type = await cursor.u32(`type of ${key}`);
    if (key === "general.alignment" && type !== 4) throw new GgufFormatError("general.alignment must be a u32");
    metadata[key] = await readValue(cursor, type, key);
  }
  const alignment = metadata["general.alignment"];
  if (alignment !== undefined && (typeof alignment !== "number" || !Number.isInteger(alignment) || alignment <= 0 || (alignment & (alignment - 1)) !== 0)) {
    throw new GgufFormatError(`general.alignment ${String(alignment)} is not a power of 2`);
  }
  return metadata;
}

const alignUp = (n: number, alignment: number) => Math.ceil(n / alignment) * alignment;

/** Walks the tensor infos, checking them as gguf.cpp does; returns the data size and element count. */
async function walkTensors(cursor: Cursor, tensorCount: number, alignment: number): Promise<{ dataBytes: number; unpaddedEnd: number; elements: number }> {
  let expectedOffset = 0;
  let unpaddedEnd = 0;
  let elements = 0;
  const names = new Set<string>();
  for (let i = 0; i < tensorCount; i++) {
    const name = await cursor.string(`tensor ${i} name`, GGML_MAX_NAME - 1);
    if (names.has(name)) throw new GgufFormatError(`tensor ${name} appears twice`);
    names.add(name);
    const nDims = await cursor.u32(`dimensions of ${name}`);
    if (nDims > GGML_MAX_DIMS) throw new GgufFormatError(`tensor ${name} has ${nDims} dimensions (at most ${GGML_MAX_DIMS})`);
    const dims: number[] = [];
    for (let d = 0; d < nDims; d++) dims.push(await cursor.u64(`dimension ${d} of ${name}`));
    const type = await cursor.u32(`type of ${name}`);
    const block = GGML_TYPE_BLOCKS.get(type);
    if (!block) throw new GgufFormatError(`tensor ${name} has an unknown ggml type ${type}`);
    const n = dims.reduce((a, b) => a * b, 1);
    if (!Number.isSafeInteger(n)) throw new GgufFormatError(`tensor ${name} has too many elements`);
    if ((dims[0] ?? 1) % block[0] !== 0) throw new GgufFormatError(`tensor ${name}'s rows are not a multiple of its type's block size`);
    const bytes = (n / block[0]) * block[1];
    const offset = await cursor.u64(`offset of ${name}`);
    if (offset !== expectedOffset) throw new GgufFormatError(`tensor ${name} is at offset ${offset}, expected ${expectedOffset}`);
    unpaddedEnd = offset + bytes;
    expectedOffset = alignUp(unpaddedEnd, alignment);
    elements += n;
  }
  return { dataBytes: expectedOffset, unpaddedEnd, elements };
}

/**
 * Reads the header of `file` (`size` bytes long) and measures its tensor data.
 * @throws GgufFormatError when the file is not a well-formed GGUF.
 */
export async function readGgufHeader(file: string, size: number): Promise<GgufHeader> {
  const handle = await fs.open(file, "r");
  try {
    const cursor = new Cursor(handle, size);
    if (size < 24) throw new GgufFormatError(`the file is ${size} bytes long, too short for a GGUF header`);
    const magic = await cursor.u32("the magic");
    if (magic !== 0x46554747) throw new GgufFormatError("it does not start with the GGUF magic bytes");
    const version = await cursor.u32("the version");
    if (version !== 2 && version !== 3) throw new GgufFormatError(`GGUF version ${version} is not supported (2 or 3)`);
    const tensorCount = await cursor.u64("the tensor count");
    const kvCount = await cursor.u64("the metadata count");
    // The smallest tensor info is 24 bytes and the smallest key/value 13: larger counts are garbage.
    if (tensorCount * 24 > size || kvCount * 13 > size) throw new GgufFormatError("its tensor or metadata count is larger than the file can hold");
    const metadata = await readMetadata(cursor, kvCount);
    const alignment = (metadata["general.alignment"] as number | undefined) ?? 32;
    const { unpaddedEnd, elements } = await walkTensors(cursor, tensorCount, alignment);
    const dataOffset = tensorCount > 0 ? alignUp(cursor.pos, alignment) : cursor.pos;
    return { version, tensorCount, dataOffset, dataEnd: dataOffset + unpaddedEnd, elementCount: elements, metadata };
  } finally {
    await handle.close();
  }
}
