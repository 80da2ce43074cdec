/** File-name rules shared by the sources and discovery: GGUF names, split parts, stems, projectors. */
import path from "node:path";

const SPLIT_PART = /-(\d{5})-of-(\d{5})\.gguf$/i;

/** `NAME-00002-of-00003.gguf` → `{prefix: "NAME", part: 2, count: 3}`; null for a single file. */
export function splitPart(file: string): { prefix: string; part: number; count: number } | null {
  const match = SPLIT_PART.exec(file);
  if (!match) return null;
  const part = Number(match[1]);
  const count = Number(match[2]);
  if (part < 1 || count < 1 || part > count) return null;
  return { prefix: file.slice(0, match.index), part, count };
}

/** The path of part `part` of a split model (llama.cpp's `llama_split_path`: `PREFIX-%05d-of-%05d.gguf`). */
export function splitPartPath(prefix: string, part: number, count: number): string {
  return `${prefix}-${String(part).padStart(5, "0")}-of-${String(count).padStart(5, "0")}.gguf`;
}

/** Whether a file name looks like a GGUF file. */
export function isGgufName(name: string): boolean {
  return name.toLowerCase().endsWith(".gguf");
}

/** Vision projectors ship as `mmproj-*.gguf` beside the model: not models, skipped without reading. */
export function isProjectorName(name: string): boolean {
  return name.toLowerCase().includes("mmproj");
}

/** A model's name from its file: `Llama-Q4_K_M.gguf` → `Llama-Q4_K_M`, `big-00001-of-00002.gguf` → `big`. */
export function modelStem(file: string): string {
  const base = path.basename(file);
  const split = splitPart(base);
  if (split) return split.prefix;
  return isGgufName(base) ? base.slice(0, -".gguf".length) : base;
}
