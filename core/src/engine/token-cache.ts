/**
 * Remembers recent tokenizations of a model. A chat request's prompt is tokenized twice: once by
 * Shimmy (to count it, check it fits and pick the slot with the longest cached prefix) and again by
 * node-llama-cpp's `LlamaChat`, which takes no tokens from outside; stop triggers are tokenized
 * again on every request too. Tokenizing is a pure function of the text, so the second time is a
 * lookup.
 */
import type { LlamaModel, Token, Tokenizer } from "node-llama-cpp";

/** Entries kept; each is one text segment (a message, a template piece, a stop trigger). */
const MAX_ENTRIES = 512;
/** Longer texts are tokenized every time: they are rare, and would crowd out the rest. */
const MAX_TEXT_LENGTH = 64 * 1024;

/**
 * Makes `model.tokenize` and `model.tokenizer` answer repeated texts from a small LRU cache. Each
 * answer is a fresh array, so a caller that changes it cannot change the cache.
 */
export function cacheTokenizations(model: LlamaModel): void {
  const tokenize = model.tokenizer;
  const cache = new Map<string, readonly Token[]>();
  const cached = ((text: string, specialTokens?: boolean | "builtin", options?: "trimLeadingSpace") => {
    if (typeof text !== "string" || text.length > MAX_TEXT_LENGTH) return tokenize(text, specialTokens as never, options);
    const key = `${specialTokens === "builtin" ? "b" : specialTokens ? "s" : "t"}${options === "trimLeadingSpace" ? "w" : "-"}${text}`;
    const hit = cache.get(key);
    if (hit) {
      cache.delete(key);
      cache.set(key, hit);
      return hit.slice();
    }
    const tokens = tokenize(text, specialTokens as never, options);
    cache.set(key, tokens.slice());
    if (cache.size > MAX_ENTRIES) cache.delete(cache.keys().next().value as string);
    return tokens;
  }) as Tokenizer;
  // A Tokenizer also carries these (LlamaModel's constructor attaches them to its bound tokenize).
  Object.assign(cached, { detokenize: tokenize.detokenize, isSpecialToken: tokenize.isSpecialToken, isEogToken: tokenize.isEogToken });
  Object.freeze(cached);
  // Both are own properties set in LlamaModel's constructor (3.22.1): `tokenize` bound, `tokenizer` the same.
  Object.defineProperty(model, "tokenize", { value: cached, configurable: true, writable: true });
  Object.defineProperty(model, "tokenizer", { value: cached, configurable: true, writable: true });
}
