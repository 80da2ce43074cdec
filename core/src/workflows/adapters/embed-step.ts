/**
 * `uses: embed`: embeddings on the engine. `with` is a `/v1/embeddings` body (`model`, `input` as
 * one text or a list, `dimensions`), checked by the same code as that route. The output holds one
 * vector per input, in order.
 */
import type { Engine } from "../../engine/types.js";
import { parseEmbeddingRequest } from "../../openai/embeddings.js";
import type { StepAdapter } from "../step-adapter.js";
import { checkWith, underWith } from "./with-errors.js";

/** What an `embed` step returns. */
export interface EmbedStepOutput {
  embeddings: number[][];
  dimensions: number;
  usage: { prompt_tokens: number };
}

/** The `embed` adapter. */
export function embedStep(engine: Engine): StepAdapter {
  return {
    async run(input, context) {
      const { model, inputs, dimensions } = checkWith(() => parseEmbeddingRequest({ model: input.model, input: input.input, ...(input.dimensions === undefined ? {} : { dimensions: input.dimensions }) }));
      const result = await engine.embed({ model, inputs, signal: context.signal, ...(dimensions === undefined ? {} : { dimensions }) }).catch((err: unknown) => {
        throw underWith(err);
      });
      const output: EmbedStepOutput = { embeddings: result.vectors.map((vector) => Array.from(vector)), dimensions: result.dimensions, usage: { prompt_tokens: result.promptTokens } };
      return { output, usage: { promptTokens: result.promptTokens, completionTokens: 0 } };
    },
  };
}
