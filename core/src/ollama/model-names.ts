/**
 * How Ollama's `name:tag` model names map onto Shimmy's ids. Ollama clients list models with
 * `/api/tags` and send back the `name` they got, and users type `llama3.2` for `llama3.2:latest`.
 *
 * - An id that already has a tag (`qwen2.5:0.5b` from Ollama's own store, `org/repo:Q4_K_M` from
 *   Hugging Face) is its own name.
 * - An id without one (a file stem such as `chat-llama`) is listed as `chat-llama:latest`.
 * - A name the client sends is looked up as it is first (ids, and aliases the engine resolves), then
 *   without a `:latest` tag; anything else goes to the engine unchanged, which answers `model_not_found`.
 */

const LATEST = ":latest";

/** The `name` `/api/tags` lists for a model id. */
export function ollamaName(id: string): string {
  // A tag is what follows the last colon of the last path segment (`host:port/…` is no tag).
  const lastSegment = id.slice(id.lastIndexOf("/") + 1);
  return lastSegment.includes(":") ? id : id + LATEST;
}

/**
 * The model id a client's name stands for, given the ids the engine serves.
 * @example
 * resolveModelName("chat-llama:latest", new Set(["chat-llama"])) // "chat-llama"
 */
export function resolveModelName(name: string, ids: ReadonlySet<string>): string {
  if (ids.has(name) || !name.endsWith(LATEST)) return name;
  // `fast:latest` for an alias `fast` too: the engine resolves aliases, and refuses unknown names.
  return name.slice(0, -LATEST.length);
}
