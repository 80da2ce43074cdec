/** `vectorStores` of `config.json`: the settings of the Files and Vector Stores APIs. */

/** The JSON Schema of the `vectorStores` key. */
export const vectorStoresConfigSchema = {
  description: "Vector stores (`/v1/vector_stores`): `embeddingModel`, the model a store gets when its creator names no `embedding_model` (default: the first embedding-only model served).",
  type: "object",
  additionalProperties: false,
  properties: {
    embeddingModel: { type: "string", minLength: 1, description: "Model id new vector stores embed with by default." },
  },
} as const;

/** `vectorStores.embeddingModel` of a validated config file; null when absent. */
export function defaultEmbeddingModelOf(file: Readonly<Record<string, unknown>>): string | null {
  return ((file.vectorStores as { embeddingModel?: string } | undefined)?.embeddingModel) ?? null;
}
