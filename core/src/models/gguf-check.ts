/**
 * Checks a GGUF's metadata before llama.cpp sees it. Some broken files (a missing
 * `feed_forward_length`, say) abort the whole process inside llama.cpp with `GGML_ASSERT`
 * instead of raising an error, so anything llama.cpp would trip on is refused here, by reason.
 */

/**
 * A GGUF's metadata: nested objects keyed by the dotted parts, as node-llama-cpp reads it, or flat,
 * keyed by the whole dotted key, as discovery's reader (`gguf-reader.ts`) reads it.
 */
export type GgufMetadataTree = { [key: string]: unknown };

/** Reads a dotted key (`llama.attention.head_count`) from the metadata, flat or nested. */
export function metadataValue(metadata: GgufMetadataTree, key: string): unknown {
  if (Object.hasOwn(metadata, key)) return metadata[key];
  let node: unknown = metadata;
  for (const part of key.split(".")) {
    if (node === null || typeof node !== "object" || Array.isArray(node)) return undefined;
    node = (node as GgufMetadataTree)[part];
  }
  return node;
}

/** Architectures whose blocks have no feed-forward layer of their own size key. */
const NO_FEED_FORWARD = new Set(["mamba", "mamba2", "rwkv6", "rwkv7", "rwkv6qwen2", "rwkv7qwen2"]);
/** Architectures that are not language models on their own. */
const NOT_MODELS: Record<string, string> = {
  clip: "it is a vision projector (mmproj), used beside a language model, not a model itself",
};

function positiveInteger(value: unknown): boolean {
  const n = typeof value === "bigint" ? Number(value) : value;
  return typeof n === "number" && Number.isInteger(n) && n > 0;
}

/** A per-layer value may be one number or an array of them. */
function positiveCount(value: unknown): boolean {
  return Array.isArray(value) ? value.length > 0 && value.every((v) => positiveInteger(v) || v === 0) : positiveInteger(value);
}

/**
 * Returns why llama.cpp must not load a file with this metadata, or null when it may.
 * @param tensorCount tensors in the file: a file without any holds only a vocabulary.
 */
export function ggufRefusalReason(metadata: GgufMetadataTree, tensorCount: number): string | null {
  const arch = metadataValue(metadata, "general.architecture");
  if (typeof arch !== "string" || arch === "") return "general.architecture is missing";
  if (NOT_MODELS[arch]) return NOT_MODELS[arch];
  if (tensorCount === 0) return "it holds only a vocabulary (no tensors)";

  const required = [`${arch}.context_length`, `${arch}.embedding_length`, `${arch}.block_count`];
  for (const key of required) {
    if (!positiveInteger(metadataValue(metadata, key))) return `${key} is missing or not a positive integer`;
  }
  const headCount = metadataValue(metadata, `${arch}.attention.head_count`);
  if (!NO_FEED_FORWARD.has(arch)) {
    if (!positiveCount(headCount)) return `${arch}.attention.head_count is missing or not positive`;
    if (!positiveCount(metadataValue(metadata, `${arch}.feed_forward_length`))) {
      return `${arch}.feed_forward_length is missing or not positive`;
    }
  }
  if (typeof headCount === "number" && metadataValue(metadata, `${arch}.attention.key_length`) === undefined) {
    const embedding = Number(metadataValue(metadata, `${arch}.embedding_length`));
    if (embedding % headCount !== 0) {
      return `${arch}.embedding_length (${embedding}) is not a multiple of ${arch}.attention.head_count (${headCount})`;
    }
    const kvHeads = metadataValue(metadata, `${arch}.attention.head_count_kv`);
    if (typeof kvHeads === "number" && (kvHeads <= 0 || headCount % kvHeads !== 0)) {
      return `${arch}.attention.head_count (${headCount}) is not a multiple of ${arch}.attention.head_count_kv (${kvHeads})`;
    }
  }

  const tokenizer = metadataValue(metadata, "tokenizer.ggml.model");
  if (typeof tokenizer !== "string") return "tokenizer.ggml.model is missing";
  if (tokenizer !== "none") {
    const tokens = metadataValue(metadata, "tokenizer.ggml.tokens");
    if (!Array.isArray(tokens) || tokens.length === 0) return "tokenizer.ggml.tokens is missing or empty";
    for (const key of ["tokenizer.ggml.scores", "tokenizer.ggml.token_type"]) {
      const values = metadataValue(metadata, key);
      if (Array.isArray(values) && values.length !== tokens.length) {
        return `${key} has ${values.length} entries for ${tokens.length} tokens`;
      }
    }
    if (tokenizer === "gpt2") {
      const merges = metadataValue(metadata, "tokenizer.ggml.merges");
      if (!Array.isArray(merges) || merges.length === 0) return "tokenizer.ggml.merges is missing (a gpt2 tokenizer needs it)";
    }
  }
  return null;
}
