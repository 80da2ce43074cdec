/**
 * Turns candidate files into model units (one file, or the parts of a split model) and checks the
 * parts of a unit together, the way llama.cpp will when it loads them.
 */
import path from "node:path";
import type { ModelHeader } from "./header.js";
import { splitPart, splitPartPath } from "./names.js";
import type { Candidate } from "./sources/index.js";

/** One model to inspect: a single file, or every part of a split one (`NAME-0000K-of-0000N.gguf`). */
export interface ModelUnit {
  candidate: Candidate;
  /** Every part's expected path, in order; one entry for a single file. */
  parts: string[];
  /** Whether the file name marks a split model. */
  split: boolean;
  /** 1-based numbers of parts that were not found beside the others. */
  missing: number[];
}

/**
 * Groups one root's candidates into units, in scan order: a split model takes the place of the first
 * of its parts that was found, and its other parts are folded into it.
 */
export function groupUnits(candidates: readonly Candidate[]): ModelUnit[] {
  const units: ModelUnit[] = [];
  const splits = new Map<string, { unit: ModelUnit; found: Set<number> }>();
  for (const candidate of candidates) {
    const part = splitPart(candidate.file);
    if (!part) {
      units.push({ candidate, parts: [candidate.file], split: false, missing: [] });
      continue;
    }
    const key = `${part.prefix}\u0000${part.count}`;
    let group = splits.get(key);
    if (!group) {
      const parts = Array.from({ length: part.count }, (_, i) => splitPartPath(part.prefix, i + 1, part.count));
      group = { unit: { candidate, parts, split: true, missing: [] }, found: new Set() };
      splits.set(key, group);
      units.push(group.unit);
    }
    group.found.add(part.part);
  }
  for (const { unit, found } of splits.values()) {
    unit.missing = unit.parts.map((_, i) => i + 1).filter((n) => !found.has(n));
  }
  return units;
}

/** What discovery learned about one file of a unit. */
export interface PartInfo {
  file: string;
  /** The real path (links resolved), or the path itself when it cannot be resolved. */
  realPath: string;
  size: number;
  mtimeMs: number;
  /** Null when the file could not be read at all (see `error`). */
  header: ModelHeader | null;
  error?: string;
}

/** Why a unit must not be loaded, judging its parts together; null when it may be. */
export function unitInvalidReason(unit: ModelUnit, parts: readonly (PartInfo | null)[]): string | null {
  const count = unit.parts.length;
  if (unit.missing.length > 0) {
    const names = unit.missing.map((n) => path.basename(unit.parts[n - 1]!)).join(", ");
    return `split model is missing part${unit.missing.length > 1 ? "s" : ""} ${unit.missing.join(", ")} of ${count} (${names})`;
  }
  for (const [i, info] of parts.entries()) {
    const where = unit.split ? `part ${i + 1} of ${count}: ` : "";
    if (!info) continue;
    if (info.error) return `${where}${info.error}`;
    if (info.header?.invalidReason) return `${where}${info.header.invalidReason}`;
  }
  const first = parts[0]?.header;
  if (!first) return null;
  if (!unit.split) {
    return (first.split.count ?? 0) > 1
      ? `its header says it is one of ${first.split.count} parts, but its name does not end in -00001-of-${String(first.split.count).padStart(5, "0")}.gguf`
      : null;
  }
  // llama.cpp reads split.count from the first part and split.no from every other one.
  if (count > 1 && first.split.count !== count) {
    return `split.count is ${first.split.count ?? "missing"} in part 1, but the file names say ${count} parts`;
  }
  for (const [i, info] of parts.entries()) {
    if (i > 0 && info?.header && info.header.split.no !== i) {
      return `part ${i + 1} of ${count} has split.no ${info.header.split.no ?? "missing"}, expected ${i}`;
    }
  }
  const tensors = parts.reduce((sum, p) => sum + (p?.header?.tensorCount ?? 0), 0);
  if (count > 1 && first.split.tensorsCount !== null && first.split.tensorsCount !== tensors) {
    return `split.tensors.count is ${first.split.tensorsCount}, but the parts hold ${tensors} tensors`;
  }
  return null;
}

/**
 * Gives every model its final id, in scan order: the first model with an id keeps it; later ones
 * get `-2`, `-3`… (skipping any suffix that is itself another model's id), so ids only change when
 * files are added before them in the scan order.
 */
export function assignUniqueIds(ids: readonly string[]): string[] {
  const taken = new Set(ids);
  const used = new Set<string>();
  const nextSuffix = new Map<string, number>();
  return ids.map((id) => {
    if (!used.has(id)) {
      used.add(id);
      return id;
    }
    let n = nextSuffix.get(id) ?? 2;
    while (taken.has(`${id}-${n}`) || used.has(`${id}-${n}`)) n++;
    nextSuffix.set(id, n + 1);
    used.add(`${id}-${n}`);
    return `${id}-${n}`;
  });
}
