/**
 * Reads what discovery needs from one GGUF header, never the weights, and keeps it in a cache keyed by
 * the file's real path, size and modification time, so rediscovering unchanged files reads nothing.
 */
import { ggufRefusalReason, metadataValue, type GgufMetadataTree } from "./gguf-check.js";
import { fileTypeName } from "./ggml-types.js";
import { GgufFormatError, readGgufHeader } from "./gguf-reader.js";

/** The facts of one GGUF file (one part, for a split model). */
export interface ModelHeader {
  /** Why the file must never be loaded (not a GGUF, truncated, metadata that would crash llama.cpp). */
  invalidReason: string | null;
  /** Why the file is not a model at all (vision projector, vocabulary, adapter): discovery skips it. */
  notAModel: string | null;
  architecture: string | null;
  tensorCount: number;
  /** Elements of this file's tensors (a split model adds its parts). */
  parameterCount: number | null;
  /** From `general.file_type`. */
  quantization: string | null;
  trainedContextLength: number | null;
  hasChatTemplate: boolean;
  /** An encoder, or a model with a pooling type: it embeds and cannot generate. */
  embeddingOnly: boolean;
  /** `split.no` (0-based), `split.count` and `split.tensors.count`, when the file has them. */
  split: { no: number | null; count: number | null; tensorsCount: number | null };
  /** Set when the read failed for a reason that may pass (a system error): such results are not cached. */
  transient?: boolean;
}

/** Architectures that only encode: llama.cpp serves them for embeddings, never for generation. */
const ENCODERS = new Set(["bert", "modern-bert", "nomic-bert", "nomic-bert-moe", "neo-bert", "jina-bert-v2", "jina-bert-v3", "eurobert", "t5encoder"]);

function emptyHeader(): ModelHeader {
  return {
    invalidReason: null, notAModel: null, architecture: null, tensorCount: 0, parameterCount: null, quantization: null,
    trainedContextLength: null, hasChatTemplate: false, embeddingOnly: false, split: { no: null, count: null, tensorsCount: null },
  };
}

function integer(value: unknown): number | null {
  const n = typeof value === "bigint" ? Number(value) : value;
  return typeof n === "number" && Number.isInteger(n) ? n : null;
}

/** Fills the header's fields from the metadata; returns why the file is not a model, if it is not. */
function describe(header: ModelHeader, metadata: GgufMetadataTree): string | null {
  const arch = metadataValue(metadata, "general.architecture");
  header.architecture = typeof arch === "string" && arch !== "" ? arch : null;
  header.quantization = fileTypeName(metadataValue(metadata, "general.file_type"));
  header.hasChatTemplate = typeof metadataValue(metadata, "tokenizer.chat_template") === "string";
  header.split = {
    no: integer(metadataValue(metadata, "split.no")),
    count: integer(metadataValue(metadata, "split.count")),
    tensorsCount: integer(metadataValue(metadata, "split.tensors.count")),
  };
  if (header.architecture) {
    const a = header.architecture;
    header.trainedContextLength = integer(metadataValue(metadata, `${a}.context_length`));
    const pooling = integer(metadataValue(metadata, `${a}.pooling_type`));
    // pooling_type 0 is "none": a plain decoder may carry it, and it does not make the model an embedder.
    header.embeddingOnly = ENCODERS.has(a) || (pooling !== null && pooling !== 0) || metadataValue(metadata, `${a}.attention.causal`) === false;
  }
  const type = metadataValue(metadata, "general.type");
  if (header.architecture === "clip" || type === "mmproj") return "a vision projector (mmproj), used beside a language model";
  if (type === "adapter") return "an adapter (LoRA), applied to a model, not a model itself";
  const isSplit = (header.split.count ?? 0) > 1;
  if (header.tensorCount === 0 && !isSplit) return "a vocabulary only (no tensors)";
  return null;
}

/**
 * Reads one file's header with the bounded reader of `gguf-reader.ts` (never the weights), and judges
 * it: not a GGUF, truncated, not a model, or metadata llama.cpp would crash on. Never throws:
 * failures become `invalidReason`.
 * @param size the file's size in bytes, from the `stat` discovery already did.
 */
export async function readModelHeader(file: string, size: number): Promise<ModelHeader> {
  const header = emptyHeader();
  try {
    const gguf = await readGgufHeader(file, size);
    header.tensorCount = gguf.tensorCount;
    header.parameterCount = gguf.elementCount;
    header.notAModel = describe(header, gguf.metadata);
    if (gguf.dataEnd > size) {
      header.invalidReason = `truncated: its tensors need ${gguf.dataEnd} bytes but the file has ${size}`;
    } else if (!header.notAModel && !((header.split.no ?? 0) > 0)) {
      // Later parts of a split model hold tensors only; their first part carries the metadata checked here.
      const tensors = (header.split.count ?? 0) > 1 ? Math.max(1, header.split.tensorsCount ?? gguf.tensorCount) : gguf.tensorCount;
      header.invalidReason = ggufRefusalReason(gguf.metadata, tensors);
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (err instanceof GgufFormatError) header.invalidReason = `not a valid GGUF file: ${err.message}`;
    else header.invalidReason = `could not read the GGUF header: ${(err as Error).message}`;
    // ENOENT and EACCES are real answers about this file; EMFILE, EIO and the like may pass.
    if (code && code !== "ENOENT" && code !== "EACCES" && code !== "EISDIR") header.transient = true;
  }
  return header;
}

/** Counters of a {@link HeaderCache}: `reads` headers were read from disk, `hits` came from the cache. */
export interface HeaderCacheStats { reads: number; hits: number }

/** Reads one header; replaceable in tests. */
export type HeaderReader = (file: string, size: number) => Promise<ModelHeader>;

/**
 * Headers by real path, size and modification time. The server keeps one instance across discoveries,
 * so a rediscovery of unchanged files reads no header; a file that changes gets a new key.
 */
export class HeaderCache {
  readonly stats: HeaderCacheStats = { reads: 0, hits: 0 };
  private readonly entries = new Map<string, Promise<ModelHeader>>();
  constructor(private readonly reader: HeaderReader = readModelHeader) {}

  /** The cache key of a file. */
  static key(realPath: string, size: number, mtimeMs: number): string {
    return `${realPath}\u0000${size}\u0000${mtimeMs}`;
  }

  /** The header of `realPath`, read once per key; concurrent callers share one read. */
  get(realPath: string, size: number, mtimeMs: number): Promise<ModelHeader> {
    const key = HeaderCache.key(realPath, size, mtimeMs);
    const cached = this.entries.get(key);
    if (cached) {
      this.stats.hits++;
      return cached;
    }
    this.stats.reads++;
    const pending = this.reader(realPath, size).then((header) => {
      if (header.transient) this.entries.delete(key);
      return header;
    });
    this.entries.set(key, pending);
    return pending;
  }

  /** Forgets every entry whose key is not in `keep` (files that were deleted or changed). */
  prune(keep: ReadonlySet<string>): void {
    for (const key of this.entries.keys()) if (!keep.has(key)) this.entries.delete(key);
  }

  /** Entries held. */
  get size(): number {
    return this.entries.size;
  }
}
