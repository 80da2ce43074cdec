/**
 * What discovery knows about a model file, before anything is loaded. Shared by discovery (which
 * fills it), the engine's model pool (which loads from it) and the admin API (which lists it).
 */

/** Where a model was found. */
export type ModelSource = "path" | "models-dir" | "local" | "shimmy" | "huggingface" | "ollama" | "lmstudio" | "llama.cpp" | "demo" | "upstream" | "route";

/** What a model can be used for. */
export type ModelCapability = "chat" | "completion" | "embedding";

/** One model found on disk: one GGUF file, or the first part of a split one. */
export interface DiscoveredModel {
  /** Stable, readable id: `org/name:quant` (Hugging Face), the Ollama tag, or the file stem. */
  id: string;
  /** The file llama.cpp loads (the first part of a split model). */
  path: string;
  source: ModelSource;
  /** Bytes of all parts. */
  sizeBytes: number;
  /** Seconds since the epoch of the file's last modification. */
  modifiedAt: number;
  architecture: string | null;
  /** Parameters, when the header says or the tensor shapes tell. */
  parameterCount: number | null;
  /** `Q4_K_M`, `Q8_0`, `F16`…, from `general.file_type`, else from the file name. */
  quantization: string | null;
  /** `{arch}.context_length`. */
  trainedContextLength: number | null;
  hasChatTemplate: boolean;
  capabilities: ModelCapability[];
  /** Parts of a split model (`-00001-of-00003.gguf`), in order; absent for a single file. */
  parts?: string[];
  /** Why the file is never loaded, when it is refused. */
  invalidReason?: string;
}
