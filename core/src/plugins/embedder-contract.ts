/**
 * The host's side of an embedder capability (`kind: "embedder"`): its sizes resolved against the
 * user's settings, the JSON Schemas its calls are checked against, and the checks a schema cannot
 * state (one vector per text, every number finite). Pure: the host (host.ts) runs the calls.
 */
import { EMBEDDER_MAX_BATCH_DEFAULT, sizeTemplateKey, type EmbedderCapability } from "@shimmy/plugin-sdk";
import type { SchemaObject } from "ajv";
import { PluginCallError } from "./plugin-call-error.js";

/** An embedder with its `{config.KEY}` sizes read from the settings. */
export interface ResolvedEmbedder {
  name: string;
  export: string;
  description?: string;
  /** The length of every vector; null when it comes from a setting that is not set (see `problem`). */
  dimensions: number | null;
  /** The longest text in the backend's tokens, when the manifest (or the setting it names) says. */
  maxInputTokens: number | null;
  /** Most texts one call takes. */
  maxBatchSize: number;
  /** Why it cannot be called (a size setting unset or not a whole number), with the command that fixes it. */
  problem?: string;
}

/** A whole number of 1 or more from a setting: a number, or its decimal text; null otherwise. */
function wholeNumber(value: unknown): number | null {
  const n = typeof value === "string" && /^\d+$/.test(value.trim()) ? Number(value.trim()) : value;
  return typeof n === "number" && Number.isSafeInteger(n) && n >= 1 ? n : null;
}

/**
 * Reads an embedder's `dimensions` and `maxInputTokens` (numbers, or `{config.KEY}` templates) from
 * `settings` (defaults filled in), for `plugin`.
 *
 * @example
 * resolveEmbedder({ kind: "embedder", export: "embed", name: "embed", dimensions: "{config.dimensions}" }, { dimensions: 768 }, "openai-embeddings").dimensions // 768
 */
export function resolveEmbedder(capability: EmbedderCapability, settings: Record<string, unknown>, plugin: string): ResolvedEmbedder {
  const problems: string[] = [];
  const size = (field: "dimensions" | "maxInputTokens"): number | null => {
    const value = capability[field];
    if (value === undefined) return null;
    const key = sizeTemplateKey(value);
    if (key === null) return value as number;
    const n = wholeNumber(settings[key]);
    if (n === null) {
      const why = settings[key] === undefined ? "is not set" : `is ${JSON.stringify(settings[key])}, not a whole number of 1 or more`;
      problems.push(`the setting ${key} (its ${field}) ${why}; set it with: shimmy plugin config ${plugin} ${key}=…`);
    }
    return n;
  };
  const dimensions = size("dimensions");
  const maxInputTokens = size("maxInputTokens");
  return {
    name: capability.name,
    export: capability.export,
    ...(capability.description ? { description: capability.description } : {}),
    dimensions,
    maxInputTokens,
    maxBatchSize: capability.maxBatchSize ?? EMBEDDER_MAX_BATCH_DEFAULT,
    ...(problems.length > 0 ? { problem: problems.join("; ") } : {}),
  };
}

/** The JSON Schema each call's input is checked against: `{input: [text, …]}`, 1 to `maxBatchSize` texts. */
export function embedderInputSchema(maxBatchSize: number): SchemaObject {
  return {
    type: "object",
    required: ["input"],
    properties: { input: { type: "array", minItems: 1, maxItems: maxBatchSize, items: { type: "string" } } },
  };
}

/**
 * The JSON Schema each call's output is checked against: `{data: [{embedding}], usage?}` with every
 * vector exactly `dimensions` numbers long. Extra fields (OpenAI's `object`, `index`, `model`) are allowed.
 */
export function embedderOutputSchema(dimensions: number): SchemaObject {
  return {
    type: "object",
    required: ["data"],
    properties: {
      data: {
        type: "array",
        items: {
          type: "object",
          required: ["embedding"],
          properties: { embedding: { type: "array", minItems: dimensions, maxItems: dimensions, items: { type: "number" } } },
        },
      },
      usage: {
        type: "object",
        properties: { prompt_tokens: { type: "integer", minimum: 0 }, total_tokens: { type: "integer", minimum: 0 } },
      },
    },
  };
}

/** The vectors of one embedder call, checked. */
export interface EmbedderVectors {
  /** One vector per text, in order, as the plugin returned it (float32, as the engine's are). */
  vectors: Float32Array[];
  /** The tokens the backend reports (`usage.prompt_tokens`), 0 when it reports none. */
  promptTokens: number;
}

/**
 * Checks an output that already matches {@link embedderOutputSchema}: one vector per text, and every
 * number finite (JSON has no NaN, but `1e999` parses as Infinity).
 *
 * @throws {PluginCallError} `invalid_output`, naming the vector and the position.
 */
export function checkEmbedderOutput(output: { data: { embedding: number[] }[]; usage?: { prompt_tokens?: number } }, texts: number, name: string): EmbedderVectors {
  if (output.data.length !== texts) {
    throw new PluginCallError("invalid_output", `${name} returned ${output.data.length} vectors for ${texts} texts; an embedder returns one vector per text, in order`);
  }
  const vectors = output.data.map(({ embedding }, index) => {
    const bad = embedding.findIndex((x) => !Number.isFinite(x));
    if (bad >= 0) throw new PluginCallError("invalid_output", `${name} returned a vector (data.${index}) whose number ${bad} is ${embedding[bad]}; every number must be finite`);
    return Float32Array.from(embedding);
  });
  // Float32 may still overflow a finite double (1e39): refused as well, rather than stored as Infinity.
  vectors.forEach((vector, index) => {
    const bad = vector.findIndex((x) => !Number.isFinite(x));
    if (bad >= 0) throw new PluginCallError("invalid_output", `${name} returned a vector (data.${index}) whose number ${bad} (${output.data[index]!.embedding[bad]}) is out of float32 range`);
  });
  return { vectors, promptTokens: output.usage?.prompt_tokens ?? 0 };
}
