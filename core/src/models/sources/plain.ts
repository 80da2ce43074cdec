/**
 * Folders of GGUF files: `SHIMMY_MODEL_PATHS`, `--models-dir`, `./models`, `$SHIMMY_HOME/models`,
 * LM Studio's folders and llama.cpp's cache.
 *
 * Ids are the file stem (`Llama-3.2-1B-Instruct-Q4_K_M.gguf` → `Llama-3.2-1B-Instruct-Q4_K_M`; a
 * split model drops its `-00001-of-00003`), searched up to {@link MAX_FOLDER_DEPTH} subfolders deep.
 * LM Studio keeps Hugging Face downloads as `PUBLISHER/REPO/FILE.gguf`, so a file at exactly that
 * depth gets the Hugging Face form `PUBLISHER/REPO:QUANT`; other files there get their stem.
 */
import fs from "node:fs/promises";
import path from "node:path";
import type { ModelSource } from "../types.js";
import { quantizationFromName } from "../ggml-types.js";
import { isGgufName, modelStem, splitPart, splitPartPath } from "../names.js";
import { isMissing, MAX_FOLDER_DEPTH, walkFiles } from "../walk.js";
import type { Candidate, ProblemSink } from "./candidate.js";
import { huggingFaceCandidates } from "./huggingface.js";

/** A `--model` file: always a candidate, so a missing one is listed with its reason. */
export function fileCandidate(file: string, source: ModelSource): Candidate {
  return { source, file, id: modelStem(file) };
}

/**
 * A `--model` file; for one part of a split model, every part found beside it, since llama.cpp loads
 * them all from the first (`-m NAME-00001-of-00003.gguf`). A part that is not there is left out, so
 * the model is refused as missing it.
 */
export async function namedFileCandidates(file: string, source: ModelSource): Promise<Candidate[]> {
  const split = splitPart(file);
  if (!split) return [fileCandidate(file, source)];
  const parts = Array.from({ length: split.count }, (_, i) => splitPartPath(split.prefix, i + 1, split.count));
  const found = await Promise.all(parts.map((part) => part === file || fs.access(part).then(() => true, () => false)));
  return parts.filter((_, i) => found[i]).map((part) => fileCandidate(part, source));
}

/**
 * The GGUF files of a folder, or the root itself when it is a file. A named root (`explicit`) that
 * does not exist is reported; a file named explicitly is taken whatever its extension.
 */
export async function folderCandidates(root: string, source: ModelSource, explicit: boolean, onProblem: ProblemSink): Promise<Candidate[]> {
  const stat = await fs.stat(root).catch((err: unknown) => {
    if (!isMissing(err)) onProblem(`cannot read ${root}: ${(err as Error).message}`);
    else if (explicit) onProblem(`${root} does not exist`);
    return null;
  });
  if (!stat) return [];
  if (stat.isFile()) return explicit || isGgufName(path.basename(root)) ? [fileCandidate(root, source)] : [];
  const files = await walkFiles(root, { maxDepth: MAX_FOLDER_DEPTH, accept: isGgufName, onProblem });
  return files.map((file) => fileCandidate(file, source));
}

/** LM Studio's models folder: `PUBLISHER/REPO/FILE.gguf` gets `PUBLISHER/REPO:QUANT`. */
export async function lmStudioCandidates(root: string, onProblem: ProblemSink): Promise<Candidate[]> {
  const files = await walkFiles(root, { maxDepth: MAX_FOLDER_DEPTH, accept: isGgufName, onProblem });
  return files.map((file): Candidate => {
    const parts = path.relative(root, file).split(path.sep);
    if (parts.length !== 3) return fileCandidate(file, "lmstudio");
    const repo = `${parts[0]}/${parts[1]}`;
    const quant = quantizationFromName(parts[2]!);
    return quant ? { source: "lmstudio", file, id: `${repo}:${quant}` } : { source: "lmstudio", file, id: repo, tagFromHeader: true };
  });
}

/**
 * llama.cpp's cache: older versions saved `-hf` downloads flat (`ORG_REPO_FILE.gguf`, id: the stem),
 * newer ones use the Hugging Face hub layout (`models--ORG--NAME`, ids as there). Flat files first.
 */
export async function llamaCppCandidates(root: string, onProblem: ProblemSink): Promise<Candidate[]> {
  const flat = await walkFiles(root, { maxDepth: 0, accept: isGgufName, onProblem });
  const hub = await huggingFaceCandidates(root, "llama.cpp", onProblem);
  return [...flat.map((file) => fileCandidate(file, "llama.cpp")), ...hub];
}
