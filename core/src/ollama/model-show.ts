/**
 * `POST /api/show`: what Ollama clients read to decide what a model can do. `model_info` is the
 * GGUF metadata (`general.architecture`, `<arch>.context_length`, …) as Ollama shows it, read from
 * the file's header without loading the weights; `capabilities` says which routes the model serves.
 */
import fs from "node:fs/promises";
import type { ModelInfo } from "../engine/types.js";
import { MAX_DECODED_ITEMS, readGgufHeader } from "../models/gguf-reader.js";
import { modelDetails } from "./model-list.js";
import type { OllamaModelDetails } from "./types.js";

/** The answer of `POST /api/show`. */
export interface OllamaShowResponse {
  license: string;
  modelfile: string;
  /** Ollama's parameter lines (`num_ctx 4096`): the settings the model is served with. */
  parameters: string;
  /** The model's own chat template (Jinja, where Ollama shows its Go template); "" when it has none. */
  template: string;
  details: OllamaModelDetails;
  model_info: Record<string, unknown>;
  capabilities: string[];
  modified_at: string;
}

// Arrays longer than this (the vocabulary, its scores and merges) are shown as null unless
// `verbose`, as Ollama shows them.
const SHORT_ARRAY = 16;
const TEMPLATE_KEY = "tokenizer.chat_template";

/** Ollama's capability names for what the model serves: `completion` (chat and generate), `tools`, `embedding`. */
export function ollamaCapabilities(model: Pick<ModelInfo, "capabilities">): string[] {
  const capabilities: string[] = [];
  if (model.capabilities.includes("chat") || model.capabilities.includes("completion")) capabilities.push("completion");
  // Every chat model takes tools: the engine forces well-formed calls with a grammar when the
  // model's template has no tool format of its own.
  if (model.capabilities.includes("chat")) capabilities.push("tools");
  if (model.capabilities.includes("embedding")) capabilities.push("embedding");
  return capabilities;
}

/** `model_info` of GGUF metadata: every key but the chat template, JSON-safe, long arrays null unless `verbose`. */
export function modelInfoOf(metadata: Readonly<Record<string, unknown>>, parameterCount: number | null, verbose: boolean): Record<string, unknown> {
  const info: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(metadata)) {
    if (key === TEMPLATE_KEY) continue;
    // Past MAX_DECODED_ITEMS the reader keeps only an array's length: null even when verbose.
    info[key] = Array.isArray(value) && value.length > (verbose ? MAX_DECODED_ITEMS : SHORT_ARRAY) ? null : jsonSafe(value);
  }
  if (parameterCount !== null) info["general.parameter_count"] ??= parameterCount;
  return info;
}

function jsonSafe(value: unknown): unknown {
  if (typeof value === "bigint") return Number(value);
  if (Array.isArray(value)) return Array.from(value, jsonSafe);
  return value;
}

/** The `/api/show` answer of a served model, its header read from disk. */
export async function showModel(model: ModelInfo, verbose: boolean): Promise<OllamaShowResponse> {
  const metadata = await metadataOf(model);
  const template = metadata[TEMPLATE_KEY];
  const license = metadata["general.license"];
  return {
    license: Array.isArray(license) ? license.join(", ") : typeof license === "string" ? license : "",
    // There is no Modelfile: this one says where the weights are and what the server sets.
    modelfile: `# Served by Shimmy, which has no Modelfile: the model is this file, with its own chat template.\nFROM ${model.path}\nPARAMETER num_ctx ${model.contextSize}\n`,
    parameters: `num_ctx ${model.contextSize}`,
    template: typeof template === "string" ? template : "",
    details: modelDetails(model),
    model_info: modelInfoOf(metadata, model.parameterCount, verbose),
    capabilities: ollamaCapabilities(model),
    modified_at: new Date(model.modifiedAt * 1000).toISOString(),
  };
}

/**
 * The GGUF metadata of a model's file; for a route or an upstream server's model, which has no file
 * here, the little discovery knows (architecture and context length).
 */
async function metadataOf(model: ModelInfo): Promise<Record<string, unknown>> {
  if (model.source !== "route" && model.source !== "upstream") {
    const { size } = await fs.stat(model.path);
    return (await readGgufHeader(model.path, size)).metadata;
  }
  const arch = model.architecture;
  return arch === null ? {} : { "general.architecture": arch, [`${arch}.context_length`]: model.contextSize };
}
