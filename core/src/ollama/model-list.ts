/**
 * Ollama's views of the served models, built from what discovery and the engine know: `/api/tags`
 * (every servable model), `/api/ps` (the loaded ones) and the `details` both carry. Pure.
 */
import { createHash } from "node:crypto";
import type { ModelInfo, ModelState } from "../engine/types.js";
import { ollamaName } from "./model-names.js";
import type { OllamaModelDetails, OllamaRunningModel, OllamaTagsModel } from "./types.js";

/** `135M`, `8.0B`: a parameter count as Ollama's `parameter_size` writes it; "" when unknown. */
export function parameterSize(count: number | null): string {
  if (count === null) return "";
  if (count >= 1e9) return `${(count / 1e9).toFixed(1)}B`;
  if (count >= 1e6) return `${Math.round(count / 1e6)}M`;
  if (count >= 1e3) return `${Math.round(count / 1e3)}K`;
  return String(count);
}

/** The `details` of a model. */
export function modelDetails(model: ModelInfo): OllamaModelDetails {
  const family = model.architecture ?? "";
  return {
    parent_model: "",
    format: "gguf",
    family,
    families: family === "" ? null : [family],
    parameter_size: parameterSize(model.parameterCount),
    quantization_level: model.quantization ?? "",
  };
}

/**
 * A stable digest for a model: Ollama's is its manifest's sha256, which clients only compare; this
 * one hashes the id and the file's path, size and time, so it changes when the file does.
 */
export function modelDigest(model: Pick<ModelInfo, "id" | "path" | "sizeBytes" | "modifiedAt">): string {
  return createHash("sha256").update(`${model.id}\0${model.path}\0${model.sizeBytes}\0${model.modifiedAt}`).digest("hex");
}

function tagsModel(model: ModelInfo): OllamaTagsModel {
  const name = ollamaName(model.id);
  return {
    name,
    model: name,
    modified_at: new Date(model.modifiedAt * 1000).toISOString(),
    size: model.sizeBytes,
    digest: modelDigest(model),
    details: modelDetails(model),
  };
}

/** `GET /api/tags`: every model that can be served, refused files left out. */
export function tagsList(models: readonly ModelInfo[]): { models: OllamaTagsModel[] } {
  return { models: models.filter((m) => !m.invalidReason).map(tagsModel) };
}

// What `/api/ps` shows as the expiry of a model kept loaded for good (Ollama shows a far date too).
const FOREVER = "2318-08-24T00:00:00.000Z";

/**
 * `GET /api/ps`: the loaded models. `size` is the memory the engine counts for the model (weights and
 * context), or the file's size when it does not tell; `size_vram` is 0, because the engine does not
 * report how much of it sits on the GPU.
 */
export function runningList(models: readonly ModelInfo[], stateOf: (id: string) => ModelState): { models: OllamaRunningModel[] } {
  const running: OllamaRunningModel[] = [];
  for (const model of models) {
    // A route is no model of its own: the models it picks show here when loaded.
    if (model.invalidReason || model.source === "route") continue;
    const state = stateOf(model.id);
    if (!state.loaded) continue;
    const { modified_at: _unused, ...listed } = tagsModel(model);
    running.push({
      ...listed,
      size: state.memoryBytes ?? model.sizeBytes,
      expires_at: state.expiresAt === null ? FOREVER : new Date(state.expiresAt).toISOString(),
      size_vram: 0,
      context_length: model.contextSize,
    });
  }
  return { models: running };
}
