/**
 * Finds the GGUF files to serve and reads their headers, never their weights. Full discovery
 * (Hugging Face, Ollama, LM Studio caches) extends this in the models issue.
 */
import fs from "node:fs/promises";
import path from "node:path";
import { readGgufFileInfo } from "node-llama-cpp";
import { ggufRefusalReason, metadataValue, type GgufMetadataTree } from "./gguf-check.js";

/** What a GGUF header says about a model, or why the file is refused. */
export interface ModelFile {
  id: string;
  path: string;
  sizeBytes: number;
  /** Seconds since the epoch. */
  modifiedAt: number;
  architecture: string | null;
  trainedContextLength: number | null;
  hasChatTemplate: boolean;
  invalidReason?: string;
}

/** Reads one file's header; a file that cannot be read or checked gets an `invalidReason`. */
export async function inspectModelFile(file: string, id: string): Promise<ModelFile> {
  const absolute = path.resolve(file);
  const base: ModelFile = {
    id, path: absolute, sizeBytes: 0, modifiedAt: 0, architecture: null, trainedContextLength: null, hasChatTemplate: false,
  };
  try {
    const stat = await fs.stat(absolute);
    base.sizeBytes = stat.size;
    base.modifiedAt = Math.floor(stat.mtimeMs / 1000);
    const info = await readGgufFileInfo(absolute, { readTensorInfo: false, logWarnings: false });
    const metadata = info.metadata as unknown as GgufMetadataTree;
    const arch = metadataValue(metadata, "general.architecture");
    base.architecture = typeof arch === "string" ? arch : null;
    const trained = base.architecture ? metadataValue(metadata, `${base.architecture}.context_length`) : undefined;
    base.trainedContextLength = typeof trained === "number" ? trained : null;
    base.hasChatTemplate = typeof metadataValue(metadata, "tokenizer.chat_template") === "string";
    const reason = ggufRefusalReason(metadata, Number(info.tensorCount));
    if (reason) base.invalidReason = reason;
  } catch (err) {
    base.invalidReason = `not a readable GGUF file (${(err as Error).message})`;
  }
  return base;
}

/** The `.gguf` files directly inside `dir`, sorted; none when the folder does not exist. */
export async function listGgufFiles(dir: string): Promise<string[]> {
  try {
    const entries = await fs.readdir(dir, { withFileTypes: true });
    return entries
      .filter((e) => (e.isFile() || e.isSymbolicLink()) && e.name.toLowerCase().endsWith(".gguf"))
      .map((e) => path.join(dir, e.name))
      .sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
}

/**
 * Stable ids from file stems: `stories260K.gguf` is `stories260K`; a second file with the same
 * stem gets `-2`, a third `-3`, in the order given.
 */
export function assignModelIds(files: readonly string[]): { file: string; id: string }[] {
  const seen = new Map<string, number>();
  return files.map((file) => {
    const stem = path.basename(file).replace(/\.gguf$/i, "");
    const count = (seen.get(stem) ?? 0) + 1;
    seen.set(stem, count);
    return { file, id: count === 1 ? stem : `${stem}-${count}` };
  });
}

/** Reads the headers of every file to serve: the `--model` files, else the `.gguf` files in `modelsDir`. */
export async function findModelFiles(models: readonly string[], modelsDir: string): Promise<ModelFile[]> {
  const files = models.length > 0 ? models.map((m) => path.resolve(m)) : await listGgufFiles(modelsDir);
  return Promise.all(assignModelIds(files).map(({ file, id }) => inspectModelFile(file, id)));
}
