/**
 * Tables from llama.cpp that discovery needs without loading llama.cpp: the byte size of each ggml
 * tensor type (to check that a file holds all of its tensor data), the names of `general.file_type`
 * values, and the quantization names that appear in file names.
 *
 * Checked against the llama.cpp of node-llama-cpp 3.22.1 (`ggml/include/ggml.h`, `ggml/src/ggml.c`
 * `type_traits`, the `block_*` structs of `ggml/src/ggml-common.h`, `include/llama.h`).
 */

/** `[values per block, bytes per block]` of each ggml type id (`GGML_TYPE_*`); ids 4, 5, 31–33, 36–38 were removed. */
export const GGML_TYPE_BLOCKS: ReadonlyMap<number, readonly [number, number]> = new Map([
  [0, [1, 4]], [1, [1, 2]], [2, [32, 18]], [3, [32, 20]], [6, [32, 22]], [7, [32, 24]], [8, [32, 34]], [9, [32, 36]], // F32 F16 Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q8_1
  [10, [256, 84]], [11, [256, 110]], [12, [256, 144]], [13, [256, 176]], [14, [256, 210]], [15, [256, 292]], // Q2_K..Q8_K
  [16, [256, 66]], [17, [256, 74]], [18, [256, 98]], [19, [256, 50]], [20, [32, 18]], [21, [256, 110]], // IQ2_XXS IQ2_XS IQ3_XXS IQ1_S IQ4_NL IQ3_S
  [22, [256, 82]], [23, [256, 136]], [24, [1, 1]], [25, [1, 2]], [26, [1, 4]], [27, [1, 8]], [28, [1, 8]], // IQ2_S IQ4_XS I8 I16 I32 I64 F64
  [29, [256, 56]], [30, [1, 2]], [34, [256, 54]], [35, [256, 66]], [39, [32, 17]], [40, [64, 36]], // IQ1_M BF16 TQ1_0 TQ2_0 MXFP4 NVFP4
  [41, [128, 18]], [42, [64, 18]], // Q1_0 Q2_0
]);

/** `general.file_type` (`LLAMA_FTYPE_MOSTLY_*`) → the usual quantization name. */
export const LLAMA_FILE_TYPES: ReadonlyMap<number, string> = new Map([
  [0, "F32"], [1, "F16"], [2, "Q4_0"], [3, "Q4_1"], [7, "Q8_0"], [8, "Q5_0"], [9, "Q5_1"], [10, "Q2_K"],
  [11, "Q3_K_S"], [12, "Q3_K_M"], [13, "Q3_K_L"], [14, "Q4_K_S"], [15, "Q4_K_M"], [16, "Q5_K_S"], [17, "Q5_K_M"],
  [18, "Q6_K"], [19, "IQ2_XXS"], [20, "IQ2_XS"], [21, "Q2_K_S"], [22, "IQ3_XS"], [23, "IQ3_XXS"], [24, "IQ1_S"],
  [25, "IQ4_NL"], [26, "IQ3_S"], [27, "IQ3_M"], [28, "IQ2_S"], [29, "IQ2_M"], [30, "IQ4_XS"], [31, "IQ1_M"],
  [32, "BF16"], [36, "TQ1_0"], [37, "TQ2_0"], [38, "MXFP4_MOE"], [39, "NVFP4"], [40, "Q1_0"], [41, "Q2_0"],
]);

/** The quantization name of a `general.file_type` value, or null when unknown. */
export function fileTypeName(fileType: unknown): string | null {
  const n = typeof fileType === "bigint" ? Number(fileType) : fileType;
  return typeof n === "number" ? (LLAMA_FILE_TYPES.get(n) ?? null) : null;
}

// Quantization names as they appear in file names (`Llama-3.2-1B-Instruct-Q4_K_M.gguf`,
// `model.q8_0.gguf`, unsloth's `UD-Q4_K_XL`), delimited by anything but a letter or digit.
const QUANT_IN_NAME =
  /(?<![A-Za-z0-9])(I?Q\d_K(?:_(?:XXS|XS|S|M|L|XL))?|IQ\d_(?:XXS|XS|S|M|NL)|Q\d_\d|TQ\d_0|MXFP4(?:_MOE)?|NVFP4|BF16|FP?16|FP?32)(?![A-Za-z0-9])/gi;

/**
 * The quantization named in a file name, upper-cased (`q4_k_m` → `Q4_K_M`, `fp16` → `F16`), or null.
 * The last match wins: `Q8_0-model-Q4_K_M.gguf` names its own quantization at the end.
 */
export function quantizationFromName(fileName: string): string | null {
  const matches = [...fileName.matchAll(QUANT_IN_NAME)];
  const last = matches.at(-1)?.[1];
  if (!last) return null;
  const upper = last.toUpperCase();
  return upper === "FP16" ? "F16" : upper === "FP32" ? "F32" : upper;
}
