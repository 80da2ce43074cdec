/**
 * What `shimmy show` and `shimmy rm` act on: a MODEL argument as a path to a GGUF file, else an id
 * as discovery names it, found by running discovery here (as the server would, from the same
 * environment), else in the running server's `/api/models` (models it serves from `--model` or
 * `--models-dir`).
 */
import fs from "node:fs/promises";
import path from "node:path";
import type { ShimmyEnv } from "../config/environment.js";
import { discoverModels } from "../models/discovery.js";
import { splitPart, splitPartPath } from "../models/names.js";
import { ApiClient, ConnectionError } from "./api-client.js";

/** A model on disk, found by {@link findModel}. */
export interface ModelTarget {
  /** The id discovery gives it; null for a path no discovery lists. */
  id: string | null;
  /** The file llama.cpp loads (the first part of a split model). */
  path: string;
  /** Every file of the model, the first part first. */
  parts: string[];
}

/** Options of {@link findModel}. */
export interface FindModelOptions {
  env: ShimmyEnv;
  cwd: string;
  /** The server to ask when discovery here does not know the id; null to ask none. */
  server: ApiClient | null;
}

/** The parts of a split model from its first part's name, else the file alone. */
function partsOf(file: string): string[] {
  const split = splitPart(file);
  if (!split || split.part !== 1) return [file];
  return Array.from({ length: split.count }, (_, i) => splitPartPath(split.prefix, i + 1, split.count));
}

/**
 * Finds MODEL; null when no file and no model of that id is known. A path is recognised by ending in
 * `.gguf` or naming an existing file, so an id never shadows a file of the same name.
 */
export async function findModel(model: string, options: FindModelOptions): Promise<ModelTarget | null> {
  const asPath = path.resolve(options.cwd, model);
  const stat = await fs.stat(asPath).catch(() => null);
  const found = await discoverModels({ env: options.env, cwd: options.cwd, modelFiles: [], modelsDirs: [], discovery: true });
  if (stat?.isFile() || model.toLowerCase().endsWith(".gguf")) {
    // Its discovery id when discovery lists it (a pulled model named by its path, for rm's checks).
    const listed = found.models.find((m) => (m.parts ?? [m.path]).includes(asPath));
    return listed ? { id: listed.id, path: listed.path, parts: listed.parts ?? [listed.path] } : { id: null, path: asPath, parts: partsOf(asPath) };
  }
  const here = found.models.find((m) => m.id === model);
  if (here) return { id: here.id, path: here.path, parts: here.parts ?? [here.path] };
  if (!options.server) return null;
  try {
    const served = (await options.server.listModels()).models.find((m) => m.id === model);
    return served ? { id: served.id, path: served.path, parts: partsOf(served.path) } : null;
  } catch (err) {
    if (err instanceof ConnectionError) return null;
    throw err;
  }
}
