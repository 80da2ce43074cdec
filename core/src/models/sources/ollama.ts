/**
 * Ollama's store: `manifests/REGISTRY/NAMESPACE/MODEL/TAG` JSON files whose layer of media type
 * `application/vnd.ollama.image.model` names the GGUF blob (`sha256:HEX` → `blobs/sha256-HEX`).
 *
 * Ids are what `ollama list` shows: `MODEL:TAG` for the default registry and namespace
 * (`registry.ollama.ai/library/llama3.2/1b` → `llama3.2:1b`), `NAMESPACE/MODEL:TAG` for another
 * namespace there, `REGISTRY/NAMESPACE/MODEL:TAG` for another registry (`hf.co/org/repo:Q4_K_M`).
 */
import fs from "node:fs/promises";
import path from "node:path";
import { isMissing, mapLimit, walkFiles } from "../walk.js";
import type { Candidate, ProblemSink } from "./candidate.js";

/** Real manifests are about a kilobyte; a bigger file is not one, and is not read into memory. */
export const MAX_MANIFEST_BYTES = 1024 * 1024;
const MODEL_LAYER = "application/vnd.ollama.image.model";
const DEFAULT_REGISTRY = "registry.ollama.ai";
/** Only a plain sha256 digest becomes a path: anything else could point outside `blobs/`. */
const DIGEST = /^sha256[:-]([0-9a-f]{64})$/;

/** The id of a manifest at `REGISTRY/NAMESPACE/MODEL/TAG`. */
export function ollamaId(registry: string, namespace: string, model: string, tag: string): string {
  if (registry !== DEFAULT_REGISTRY) return `${registry}/${namespace}/${model}:${tag}`;
  return namespace === "library" ? `${model}:${tag}` : `${namespace}/${model}:${tag}`;
}

/** The blob path of a manifest's model layer, or why there is none. */
async function modelBlob(manifestPath: string, blobsDir: string): Promise<string | { problem: string }> {
  const stat = await fs.stat(manifestPath);
  if (stat.size > MAX_MANIFEST_BYTES) return { problem: `is ${stat.size} bytes, too large for a manifest` };
  let manifest: unknown;
  try {
    manifest = JSON.parse(await fs.readFile(manifestPath, "utf8"));
  } catch (err) {
    return { problem: `is not JSON (${(err as Error).message})` };
  }
  const layers = (manifest as { layers?: unknown }).layers;
  if (!Array.isArray(layers)) return { problem: "has no layers" };
  const layer = layers.find((l) => (l as { mediaType?: unknown })?.mediaType === MODEL_LAYER) as { digest?: unknown } | undefined;
  if (!layer) return { problem: `has no ${MODEL_LAYER} layer` };
  const match = typeof layer.digest === "string" ? DIGEST.exec(layer.digest) : null;
  if (!match) return { problem: `has a model layer with an unexpected digest ${JSON.stringify(layer.digest)}` };
  return path.join(blobsDir, `sha256-${match[1]}`);
}

/** The model of every manifest under `root/manifests`, in path order. */
export async function ollamaCandidates(root: string, onProblem: ProblemSink): Promise<Candidate[]> {
  const manifestsDir = path.join(root, "manifests");
  const manifests = (await walkFiles(manifestsDir, { maxDepth: 3, accept: () => true, onProblem }))
    .filter((file) => path.relative(manifestsDir, file).split(path.sep).length === 4);
  // Problems are collected per manifest and reported in path order, whatever order the reads finish in.
  const found = await mapLimit(manifests, 16, async (file): Promise<Candidate | string | null> => {
    const [registry, namespace, model, tag] = path.relative(manifestsDir, file).split(path.sep) as [string, string, string, string];
    const id = ollamaId(registry, namespace, model, tag);
    try {
      const blob = await modelBlob(file, path.join(root, "blobs"));
      return typeof blob === "string" ? { source: "ollama", file: blob, id } : `Ollama manifest ${file} (${id}) ${blob.problem}`;
    } catch (err) {
      return isMissing(err) ? null : `cannot read Ollama manifest ${file}: ${(err as Error).message}`;
    }
  });
  const candidates: Candidate[] = [];
  for (const entry of found) {
    if (typeof entry === "string") onProblem(entry);
    else if (entry) candidates.push(entry);
  }
  return candidates;
}
