/**
 * The Hugging Face hub cache (`models--ORG--NAME/snapshots/REV/…`, files that link into `blobs/`),
 * also the layout of llama.cpp's cache since it moved to the hub's format.
 *
 * Ids are `ORG/NAME:QUANT`, the form `llama-server -hf` and `ollama pull hf.co/…` take, with the
 * quantization upper-cased from the file's path (`q4_k_m` → `Q4_K_M`), else from its header, else
 * no tag. A file present in several snapshots is taken from the newest: the one `refs/main` names,
 * then the others by modification time. Files only in an older snapshot are kept, because the hub
 * leaves each download under the revision that was current at the time.
 */
import fs from "node:fs/promises";
import path from "node:path";
import type { ModelSource } from "../types.js";
import { quantizationFromName } from "../ggml-types.js";
import { isGgufName } from "../names.js";
import { isMissing, readFolder, walkFiles } from "../walk.js";
import type { Candidate, ProblemSink } from "./candidate.js";

/** Subfolders of a snapshot searched (repositories such as unsloth's put each quantization in its own). */
const SNAPSHOT_DEPTH = 2;

/** `models--ORG--NAME` → `ORG/NAME` (the hub replaces `/` with `--`; names cannot contain `--`). */
export function repoFromFolder(folder: string): string | null {
  if (!folder.startsWith("models--")) return null;
  const repo = folder.slice("models--".length).replaceAll("--", "/");
  return repo === "" ? null : repo;
}

/** Snapshot folders, newest first: the one `refs/main` names, then by modification time. */
async function snapshotsNewestFirst(repoDir: string): Promise<string[]> {
  const snapshotsDir = path.join(repoDir, "snapshots");
  const { dirs } = await readFolder(snapshotsDir).catch(() => ({ dirs: [] as string[] }));
  const main = (await fs.readFile(path.join(repoDir, "refs", "main"), "utf8").catch(() => "")).trim();
  const dated = await Promise.all(dirs.map(async (name) => ({
    name,
    mtime: (await fs.stat(path.join(snapshotsDir, name)).catch(() => null))?.mtimeMs ?? 0,
  })));
  dated.sort((a, b) => Number(b.name === main) - Number(a.name === main) || b.mtime - a.mtime || (a.name < b.name ? -1 : 1));
  return dated.map((d) => path.join(snapshotsDir, d.name));
}

/** The GGUF files of one `models--ORG--NAME` folder. */
async function repoCandidates(repoDir: string, repo: string, source: ModelSource, onProblem: ProblemSink): Promise<Candidate[]> {
  const out: Candidate[] = [];
  const seen = new Set<string>();
  for (const snapshot of await snapshotsNewestFirst(repoDir)) {
    const files = await walkFiles(snapshot, { maxDepth: SNAPSHOT_DEPTH, accept: isGgufName, onProblem });
    for (const file of files) {
      const relative = path.relative(snapshot, file);
      if (seen.has(relative)) continue;
      seen.add(relative);
      const quant = quantizationFromName(relative);
      out.push(quant ? { source, file, id: `${repo}:${quant}` } : { source, file, id: repo, tagFromHeader: true });
    }
  }
  return out;
}

/** Every GGUF file in a hub cache folder, repositories in name order. */
export async function huggingFaceCandidates(root: string, source: ModelSource, onProblem: ProblemSink): Promise<Candidate[]> {
  let dirs: string[];
  try {
    ({ dirs } = await readFolder(root));
  } catch (err) {
    if (!isMissing(err)) onProblem(`cannot read ${root}: ${(err as Error).message}`);
    return [];
  }
  const repos = dirs.flatMap((name) => {
    const repo = repoFromFolder(name);
    return repo ? [{ dir: path.join(root, name), repo }] : [];
  });
  // Repositories are read in parallel; their problems are reported in repository order.
  const problems = repos.map(() => [] as string[]);
  const lists = await Promise.all(repos.map(({ dir, repo }, i) => repoCandidates(dir, repo, source, (m) => problems[i]!.push(m))));
  for (const message of problems.flat()) onProblem(message);
  return lists.flat();
}
