/**
 * Model discovery: lists the GGUF files of every root in scan order, reads their headers (never the
 * weights; in parallel, through a cache keyed by real path, size and modification time), and names
 * them with stable ids. Pure apart from reading the file system: everything comes from the options.
 */
import fs from "node:fs/promises";
import path from "node:path";
import { resolveAliases } from "./aliases.js";
import { quantizationFromName } from "./ggml-types.js";
import { HeaderCache } from "./header.js";
import { isProjectorName } from "./names.js";
import { modelRoots, type RootOptions } from "./roots.js";
import { listCandidates } from "./sources/index.js";
import type { DiscoveredModel, ModelCapability } from "./types.js";
import { assignUniqueIds, groupUnits, unitInvalidReason, type ModelUnit, type PartInfo } from "./units.js";
import { mapLimit } from "./walk.js";

/** Options of {@link discoverModels}. */
export interface DiscoverOptions extends RootOptions {
  /** `--model` files: always listed, first, with the `path` source. */
  modelFiles: string[];
  /** `--models-dir` folders. */
  modelsDirs: string[];
  /** `false` (`--no-discovery`): list only `modelFiles`. */
  discovery: boolean;
  /** `aliases` of `$SHIMMY_HOME/config.json`: alias → model id. */
  aliases?: Record<string, string>;
  /** Kept by the caller between discoveries, so unchanged files are not read again. */
  cache?: HeaderCache;
  /** Headers read at the same time. @default 16 */
  concurrency?: number;
}

/** A file that was found but is not a model (a vision projector, a vocabulary, an adapter). */
export interface SkippedFile {
  path: string;
  reason: string;
}

/** What {@link discoverModels} found. */
export interface DiscoveryResult {
  /** Every model in scan order, the invalid ones with their `invalidReason`. */
  models: DiscoveredModel[];
  /** The usable aliases: alias → model id. */
  aliases: Record<string, string>;
  /** Roots, manifests or aliases that could not be used, one sentence each. */
  problems: string[];
  /** GGUF files that are not models, left out of `models`. */
  skipped: SkippedFile[];
}

/** Stats, resolves and reads the header of one file; never throws. */
async function inspectPart(file: string, cache: HeaderCache): Promise<PartInfo> {
  // A dangling link is known by its own real place, so it is listed once however it is reached.
  const realPath = await fs.realpath(file).catch(async () =>
    path.join(await fs.realpath(path.dirname(file)).catch(() => path.resolve(path.dirname(file))), path.basename(file)));
  try {
    const stat = await fs.stat(realPath);
    if (!stat.isFile()) return { file, realPath, size: 0, mtimeMs: 0, header: null, error: `${file} is not a file` };
    const header = await cache.get(realPath, stat.size, stat.mtimeMs);
    return { file, realPath, size: stat.size, mtimeMs: stat.mtimeMs, header };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") return { file, realPath, size: 0, mtimeMs: 0, header: null, error: `cannot read ${file}: ${(err as Error).message}` };
    // A Hugging Face link whose blob was deleted, say: name where it points.
    const target = await fs.readlink(file).catch(() => null);
    const error = `${file} does not exist${target ? ` (it is a link to ${target})` : ""}`;
    return { file, realPath, size: 0, mtimeMs: 0, header: null, error };
  }
}

function capabilitiesOf(embeddingOnly: boolean): ModelCapability[] {
  // Any decoder can also embed (Shimmy pools its hidden states); an encoder can do nothing else.
  return embeddingOnly ? ["embedding"] : ["chat", "completion", "embedding"];
}

/** Builds the listing of one unit whose parts were inspected (id not yet made unique). */
function describeUnit(unit: ModelUnit, parts: readonly (PartInfo | null)[]): DiscoveredModel {
  const present = parts.filter((p): p is PartInfo => p !== null);
  const header = parts[0]?.header ?? null;
  const invalidReason = unitInvalidReason(unit, parts);
  const quantization = header?.quantization ?? quantizationFromName(path.basename(unit.candidate.file));
  const counts = present.map((p) => p.header?.parameterCount ?? null);
  const model: DiscoveredModel = {
    id: unit.candidate.tagFromHeader && header?.quantization ? `${unit.candidate.id}:${header.quantization}` : unit.candidate.id,
    path: unit.parts[0]!,
    source: unit.candidate.source,
    sizeBytes: present.reduce((sum, p) => sum + p.size, 0),
    modifiedAt: Math.floor(Math.max(0, ...present.map((p) => p.mtimeMs)) / 1000),
    architecture: header?.architecture ?? null,
    parameterCount: counts.length > 0 && counts.every((c) => c !== null) ? counts.reduce((a, b) => a! + b!, 0) : null,
    quantization,
    trainedContextLength: header?.trainedContextLength ?? null,
    hasChatTemplate: header?.hasChatTemplate ?? false,
    capabilities: invalidReason ? [] : capabilitiesOf(header?.embeddingOnly ?? false),
  };
  if (unit.split) model.parts = [...unit.parts];
  if (invalidReason) model.invalidReason = invalidReason;
  return model;
}

/**
 * Finds the models to serve. Scans the roots of {@link modelRoots} in order; a real file reached twice
 * is listed once, under the first source; colliding ids get `-2`, `-3`… in scan order; vision
 * projectors, vocabulary-only files and adapters go to `skipped`; files that must never be loaded are
 * listed with `invalidReason`. Reads no `process.env`: pass `env` and `cwd`.
 */
export async function discoverModels(options: DiscoverOptions): Promise<DiscoveryResult> {
  const cache = options.cache ?? new HeaderCache();
  const roots = modelRoots(options);
  const problemsByRoot: string[][] = roots.map(() => []);
  const lists = await Promise.all(roots.map((root, i) => listCandidates(root, (m) => problemsByRoot[i]!.push(m))));
  const skipped: SkippedFile[] = [];
  const units = lists.flatMap((candidates) => groupUnits(candidates)).filter((unit) => {
    // Projectors are known by name and skipped unread; an unnamed one is caught by its header below.
    if (!isProjectorName(path.basename(unit.candidate.file))) return true;
    skipped.push({ path: unit.parts[0]!, reason: "a vision projector (mmproj), used beside a language model" });
    return false;
  });

  // Every part of every unit, inspected in parallel; the cache shares reads of the same real file.
  const jobs = units.flatMap((unit, u) => unit.parts.map((file, p) => ({ u, p, file, found: !unit.missing.includes(p + 1) })));
  const infos = await mapLimit(jobs, options.concurrency ?? 16, (job) => (job.found ? inspectPart(job.file, cache) : Promise.resolve(null)));
  const partsOf: (PartInfo | null)[][] = units.map(() => []);
  for (const [i, job] of jobs.entries()) partsOf[job.u]![job.p] = infos[i]!;

  const models: DiscoveredModel[] = [];
  const seen = new Set<string>();
  const keep = new Set<string>();
  for (const [u, unit] of units.entries()) {
    const parts = partsOf[u]!;
    for (const p of parts) if (p?.header) keep.add(HeaderCache.key(p.realPath, p.size, p.mtimeMs));
    const key = (parts.find((p) => p !== null) ?? null)?.realPath ?? path.resolve(unit.parts[0]!);
    if (seen.has(key)) continue;
    seen.add(key);
    const notAModel = parts[0]?.header?.notAModel;
    if (notAModel) {
      skipped.push({ path: unit.parts[0]!, reason: notAModel });
      continue;
    }
    models.push(describeUnit(unit, parts));
  }
  cache.prune(keep);

  const ids = assignUniqueIds(models.map((m) => m.id));
  for (const [i, model] of models.entries()) model.id = ids[i]!;
  const resolved = resolveAliases(options.aliases ?? {}, models);
  return { models, aliases: resolved.aliases, problems: [...problemsByRoot.flat(), ...resolved.problems], skipped };
}
