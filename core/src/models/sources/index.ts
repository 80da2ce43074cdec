/** Lists the candidate files of one root, by its layout. See each source for its id rule. */
import type { ModelRoot } from "../roots.js";
import type { Candidate, ProblemSink } from "./candidate.js";
import { huggingFaceCandidates } from "./huggingface.js";
import { ollamaCandidates } from "./ollama.js";
import { folderCandidates, llamaCppCandidates, lmStudioCandidates, namedFileCandidates } from "./plain.js";

export type { Candidate, ProblemSink } from "./candidate.js";
export { ollamaId } from "./ollama.js";
export { repoFromFolder } from "./huggingface.js";

/** The candidates of `root`, in a stable order (the scan order within the root). */
export async function listCandidates(root: ModelRoot, onProblem: ProblemSink): Promise<Candidate[]> {
  switch (root.layout) {
    case "file": return namedFileCandidates(root.path, root.source);
    case "files": return folderCandidates(root.path, root.source, root.explicit ?? false, onProblem);
    case "lmstudio": return lmStudioCandidates(root.path, onProblem);
    case "huggingface": return huggingFaceCandidates(root.path, root.source, onProblem);
    case "ollama": return ollamaCandidates(root.path, onProblem);
    case "llama.cpp": return llamaCppCandidates(root.path, onProblem);
  }
}
