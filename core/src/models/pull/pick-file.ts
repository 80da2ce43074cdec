/**
 * Which GGUF file(s) of a repository a pull takes: the quantization asked for, else the first of
 * {@link DEFAULT_QUANT_ORDER} the repository has, else its first GGUF model; a split model
 * (`NAME-00001-of-0000N.gguf`) is taken as all its parts. Pure, as npm's `pickManifest` is.
 */
import { quantizationFromName } from "../ggml-types.js";
import { isGgufName, isProjectorName, splitPart } from "../names.js";
import type { HubTreeEntry } from "./hub-api.js";
import { PullError } from "./pull-error.js";

/** One file to download. */
export interface HubFile {
  /** Its path in the repository (`Q4_K_M/model-00001-of-00002.gguf`). */
  path: string;
  size: number;
  /** From the tree's `lfs.oid`: what the download is checked against, and the blob's name. */
  sha256: string;
}

/** The model picked. */
export interface PickedModel {
  /** The quantization of the files, upper-cased; null when their names do not say. */
  quant: string | null;
  /** One file, or every part of a split model in order. */
  files: HubFile[];
  totalBytes: number;
}

/** The quantizations taken when none is named, best first (Ollama's and llama.cpp's default). */
export const DEFAULT_QUANT_ORDER = ["Q4_K_M", "Q4_0", "Q8_0"] as const;

interface Unit {
  entries: HubTreeEntry[];
  /** Where a quantization is looked for: the first part's path, folders included. */
  name: string;
}

/** GGUF models of the tree (projectors left out), split parts grouped, in path order. */
function modelUnits(tree: readonly HubTreeEntry[]): Unit[] {
  const files = tree
    .filter((e) => e.type === "file" && isGgufName(e.path) && !isProjectorName(e.path.split("/").at(-1)!))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const units: Unit[] = [];
  const splits = new Map<string, (HubTreeEntry | undefined)[]>();
  for (const entry of files) {
    const part = splitPart(entry.path);
    if (!part) {
      units.push({ entries: [entry], name: entry.path });
      continue;
    }
    const key = `${part.prefix}\u0000${part.count}`;
    let parts = splits.get(key);
    if (!parts) splits.set(key, (parts = new Array<HubTreeEntry | undefined>(part.count).fill(undefined)));
    parts[part.part - 1] = entry;
  }
  // A split model with a part missing from the tree cannot be loaded: it is not offered.
  for (const parts of splits.values()) {
    if (parts.every((p) => p !== undefined)) units.push({ entries: parts as HubTreeEntry[], name: parts[0]!.path });
  }
  return units.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Whether `name` carries `quant` as a whole word, ignoring case (`model.q4_k_m.gguf` has `Q4_K_M`). */
function hasQuant(name: string, quant: string): boolean {
  const escaped = quant.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(?<![A-Za-z0-9])${escaped}(?![A-Za-z0-9])`, "i").test(name);
}

function toPicked(unit: Unit, quant: string | null, repo: string): PickedModel {
  const files = unit.entries.map((entry): HubFile => {
    const sha256 = entry.lfs?.oid;
    if (!sha256 || !/^[0-9a-f]{64}$/.test(sha256)) {
      throw new PullError("download_failed", `${repo} publishes no sha256 for ${entry.path} (not stored with Git LFS), so it cannot be verified`);
    }
    return { path: entry.path, size: entry.lfs?.size ?? entry.size, sha256 };
  });
  return { quant: quant ?? quantizationFromName(unit.name), files, totalBytes: files.reduce((sum, f) => sum + f.size, 0) };
}

/**
 * Picks the model of `quant` (any case) from `tree`, else by {@link DEFAULT_QUANT_ORDER}.
 *
 * @example
 * pickGguf(tree, "q8_0", "org/repo").files[0].path // "model-Q8_0.gguf"
 * @throws PullError `no_gguf` when the repository has no GGUF model, `quant_not_found` (listing
 * those it has) when none is of `quant`.
 */
export function pickGguf(tree: readonly HubTreeEntry[], quant: string | null, repo: string): PickedModel {
  const units = modelUnits(tree);
  if (units.length === 0) throw new PullError("no_gguf", `${repo} has no GGUF model file; shimmy pull takes repositories of GGUF files (their names often end in -GGUF)`);
  if (quant !== null) {
    const unit = units.find((u) => hasQuant(u.name, quant));
    if (unit) return toPicked(unit, quant.toUpperCase(), repo);
    const available = [...new Set(units.map((u) => quantizationFromName(u.name)).filter((q) => q !== null))].sort();
    const list = available.length > 0 ? `: it has ${available.join(", ")}` : "";
    throw new PullError("quant_not_found", `${repo} has no ${quant.toUpperCase()} file${list}`);
  }
  for (const wanted of DEFAULT_QUANT_ORDER) {
    const unit = units.find((u) => hasQuant(u.name, wanted));
    if (unit) return toPicked(unit, wanted, repo);
  }
  return toPicked(units[0]!, null, repo);
}
