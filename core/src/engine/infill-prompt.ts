/**
 * The prompt of a fill-in-the-middle completion, laid out as llama.cpp's server lays it out
 * (`format_prompt_infill`, prefix-suffix-middle order):
 *
 * ```
 * [FIM_REP]myproject\n [FIM_SEP]name0\n text0 … [FIM_SEP]filename\n   ← only with files
 * [FIM_PRE] prefix prompt [FIM_SUF] suffix [FIM_MID]
 * ```
 *
 * Without `FIM_SEP` each file is introduced by llama.cpp's `\n\n--- snippet ---\n\n` instead. Two
 * differences, both deliberate: the repository header is written only when files are given (so a
 * plain FIM prompt is exactly the three FIM tokens around prefix and suffix, as the models' own
 * documentation shows it), and the prefix and suffix are never cut (a prompt that does not fit is
 * refused, as a raw completion's is); only the files lose their oldest tokens when the context is short.
 */
import type { LlamaModel, Token } from "node-llama-cpp";
import type { InfillFile } from "./types.js";

/** The FIM tokens of a model: the three it needs, and the repository-level two when it has them. */
export interface FimTokens {
  prefix: Token;
  suffix: Token;
  middle: Token;
  /** `tokenizer.ggml.fim_rep_token_id` (Qwen2.5-Coder's `<|repo_name|>`). */
  repo: Token | null;
  /** `tokenizer.ggml.fim_sep_token_id` (Qwen2.5-Coder's `<|file_sep|>`). */
  fileSeparator: Token | null;
}

/** The pieces of a FIM prompt, tokenized. */
export interface InfillPieces {
  prefix: readonly Token[];
  /** Text continuing the prefix (llama.cpp's `/infill` `prompt`). */
  prompt: readonly Token[];
  suffix: readonly Token[];
  /** The files' context from {@link fileContextTokens}, put before everything else. */
  files: readonly Token[];
}

/** What llama.cpp writes before each file when the model has no file separator token. */
const SNIPPET_SEPARATOR = "\n\n--- snippet ---\n\n";

/**
 * The model's FIM tokens, or null when it lacks any of prefix, suffix and middle. llama.cpp reads
 * them from `tokenizer.ggml.fim_pre_token_id` (and the like) or finds them by their usual texts.
 */
export function fimTokensOf(model: LlamaModel): FimTokens | null {
  const { prefix, suffix, middle } = model.tokens.infill;
  if (prefix == null || suffix == null || middle == null) return null;
  return {
    prefix, suffix, middle,
    repo: metadataToken(model, "fim_rep_token_id") ?? specialToken(model, "<|repo_name|>"),
    fileSeparator: metadataToken(model, "fim_sep_token_id") ?? specialToken(model, "<|file_sep|>"),
  };
}

/** A token id the GGUF names under `tokenizer.ggml.KEY`. */
function metadataToken(model: LlamaModel, key: string): Token | null {
  const ggml = (model.fileInfo.metadata as { tokenizer?: { ggml?: Record<string, unknown> } }).tokenizer?.ggml;
  const id = ggml?.[key];
  // llama.cpp ignores an id past the vocabulary; so must we (looking it up would abort).
  const size = Array.isArray(ggml?.tokens) ? ggml.tokens.length : 0;
  return typeof id === "number" && Number.isInteger(id) && id >= 0 && id < size ? (id as Token) : null;
}

/** The special token whose text is `text`, when the vocabulary has one. */
function specialToken(model: LlamaModel, text: string): Token | null {
  const tokens = model.tokenize(text, true);
  return tokens.length === 1 && model.isSpecialToken(tokens[0]) ? tokens[0]! : null;
}

/**
 * The tokens of the files' context (see the module comment); none without files. `tokenize` reads
 * text as plain text: markup in a file never becomes a special token.
 */
export function fileContextTokens(files: readonly InfillFile[], fim: FimTokens, tokenize: (text: string) => Token[]): Token[] {
  if (files.length === 0) return [];
  const tokens: Token[] = [];
  if (fim.repo !== null) tokens.push(fim.repo, ...tokenize("myproject\n"));
  for (const file of files) {
    if (fim.fileSeparator !== null) tokens.push(fim.fileSeparator, ...tokenize(`${file.filename ?? "tmp"}\n`));
    else tokens.push(...tokenize(SNIPPET_SEPARATOR));
    tokens.push(...tokenize(file.text));
  }
  if (fim.fileSeparator !== null) tokens.push(fim.fileSeparator, ...tokenize("filename\n"));
  return tokens;
}

/**
 * The prompt tokens (no BOS: the completion adds it when the model wants one), keeping only the last
 * `fileRoom` tokens of the files' context.
 */
export function infillPromptTokens(pieces: InfillPieces, fim: FimTokens, fileRoom: number): Token[] {
  const keep = Math.max(0, Math.min(fileRoom, pieces.files.length));
  return [
    ...pieces.files.slice(pieces.files.length - keep),
    fim.prefix, ...pieces.prefix, ...pieces.prompt,
    fim.suffix, ...pieces.suffix,
    fim.middle,
  ];
}
