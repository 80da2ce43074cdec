/**
 * The contract of an embedder capability (`kind: "embedder"`): what its export is called with and
 * returns, its batch default, and the manifest rules its `dimensions` and `maxInputTokens`
 * templates follow. The core's host checks every call against the same contract.
 */
import { createRequire } from "node:module";
import type { ConfigSchema, EmbedderCapability, ManifestError } from "./manifest.js";

/** What an embedder's export is called with: 1 to `maxBatchSize` texts. */
export interface EmbedderInput {
  input: string[];
}

/** What an embedder's export returns: one vector per input, in order, and optionally the tokens it used. */
export interface EmbedderOutput {
  data: { embedding: number[] }[];
  usage?: { prompt_tokens?: number; total_tokens?: number };
}

// Read here rather than from manifest.ts's MANIFEST_SCHEMA, which imports this module.
const schema = createRequire(import.meta.url)("../schema/shimmy-plugin.schema.json") as {
  definitions: { embedder: { properties: { maxBatchSize: { default: number } } } };
};

/** The `maxBatchSize` of an embedder that leaves it out; the schema's `default`. */
export const EMBEDDER_MAX_BATCH_DEFAULT: number = schema.definitions.embedder.properties.maxBatchSize.default;

/** Whether `value` is an embedder's input: `{input: [text, …]}` with 1 to `most` texts. */
export function isEmbedderInput(value: unknown, most: number): value is EmbedderInput {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const { input } = value as { input?: unknown };
  return Array.isArray(input) && input.length >= 1 && input.length <= most && input.every((text) => typeof text === "string");
}

const SIZE_TEMPLATE = /^\{config\.([A-Za-z_][A-Za-z0-9_]*)\}$/;

/** The config key a `{config.KEY}` size names, or null for a number. */
export function sizeTemplateKey(value: number | string | undefined): string | null {
  return typeof value === "string" ? (SIZE_TEMPLATE.exec(value)?.[1] ?? null) : null;
}

/**
 * An embedder's `dimensions` and `maxInputTokens` given as `{config.KEY}` must name an integer
 * setting of `config`: the problems, at `at` (its path in the manifest).
 */
export function embedderSizeErrors(capability: EmbedderCapability, config: ConfigSchema | undefined, at: string): ManifestError[] {
  const errors: ManifestError[] = [];
  for (const field of ["dimensions", "maxInputTokens"] as const) {
    const key = sizeTemplateKey(capability[field]);
    if (key === null) continue;
    const setting = config?.properties?.[key];
    if (!setting) errors.push({ path: `${at}.${field}`, message: `{config.${key}} names no property of config` });
    else if (setting.type !== "integer") errors.push({ path: `${at}.${field}`, message: `{config.${key}} must name an integer setting, not ${JSON.stringify(setting.type ?? "untyped")}` });
  }
  return errors;
}
