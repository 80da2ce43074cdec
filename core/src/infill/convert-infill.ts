/**
 * Pure converters between llama.cpp's `/infill` wire format and the engine's types: the request's
 * sampling settings, and the answer in the shape of llama.cpp's `/completion` (whole, or as the
 * pieces of a stream).
 */
import type { GenerationResult, InfillRequest, SamplingParams } from "../engine/types.js";
import type { InfillBody } from "./infill-schema.js";

/** The FIM parts of a request: prefix, suffix, the text continuing the prefix, and the files. */
export function toInfillParts(body: InfillBody): Pick<InfillRequest, "prefix" | "suffix" | "prompt" | "files"> {
  return { prefix: body.input_prefix ?? "", suffix: body.input_suffix ?? "", prompt: body.prompt ?? "", files: body.input_extra ?? [] };
}

/**
 * The engine's sampling settings: `n_predict` (-1 or absent: no limit but the context), else
 * `max_tokens`; a seed of -1 draws a fresh one, as llama.cpp's does.
 */
export function toInfillSampling(body: InfillBody): SamplingParams {
  const params: SamplingParams = { stop: body.stop === undefined ? [] : typeof body.stop === "string" ? [body.stop] : [...body.stop] };
  const limit = body.n_predict ?? body.max_tokens ?? -1;
  if (limit >= 0) params.maxTokens = limit;
  if (body.temperature !== undefined) params.temperature = body.temperature;
  if (body.top_k !== undefined) params.topK = body.top_k;
  if (body.top_p !== undefined) params.topP = body.top_p;
  if (body.min_p !== undefined) params.minP = body.min_p;
  if (body.seed !== undefined && body.seed >= 0) params.seed = body.seed;
  if (body.presence_penalty !== undefined) params.presencePenalty = body.presence_penalty;
  if (body.frequency_penalty !== undefined) params.frequencyPenalty = body.frequency_penalty;
  return params;
}

/** llama.cpp's `stop_type`: the end of generation, the token limit, or a stop word. */
export type InfillStopType = "eos" | "limit" | "word";

/** The answer of a finished `/infill`, as llama.cpp's `/completion` writes it. */
export interface InfillResponse {
  index: 0;
  content: string;
  stop: true;
  model: string;
  stop_type: InfillStopType;
  stopping_word: string;
  tokens_predicted: number;
  /** The prompt's tokens, FIM tokens included. */
  tokens_evaluated: number;
  truncated: false;
}

/** One piece of a streamed answer before the last. */
export interface InfillChunk {
  index: 0;
  content: string;
  stop: false;
}

/** The whole answer; streamed, the last event is this with `content` "" (the text came in chunks). */
export function infillResponse(model: string, result: GenerationResult, content: string = result.text): InfillResponse {
  const stopType: InfillStopType = result.finishReason === "length" ? "limit" : result.stopSequence ? "word" : "eos";
  return {
    index: 0,
    content,
    stop: true,
    model,
    stop_type: stopType,
    stopping_word: result.stopSequence ?? "",
    tokens_predicted: result.completionTokens,
    tokens_evaluated: result.promptTokens,
    truncated: false,
  };
}

/** A streamed piece of text. */
export function infillChunk(content: string): InfillChunk {
  return { index: 0, content, stop: false };
}
