/**
 * openai-embeddings: an embedder (`openai-embeddings/embed`) backed by any OpenAI-compatible
 * `POST {baseURL}/embeddings` endpoint.
 *
 * The plugin's only network grant is `{config.baseURL}`; the host checks every request (and
 * redirect) against it. A call's texts are sent in requests of at most `batchSize`, one after the
 * other; each answer is read without a `JsonValue` tree (answer.ts: a tree of many thousands of
 * numbers takes tens of megabytes of the plugin's memory), checked (one vector per text, placed by
 * its `index`, each `dimensions` numbers long), and its numbers are copied as the endpoint wrote
 * them, so the vectors come out exactly as the endpoint sent them.
 */
import { collect, config, configBool, configInteger, fail, http, HttpReply, inputJson, JsonValue, outputText, parseJson, quoteJsonString, truncateChars } from "@shimmy/plugin-sdk/assembly";
import { readAnswer } from "./answer";

const NAME = "openai-embeddings";
const DEFAULT_BATCH: i64 = 32;
const EXCERPT_CHARS: i32 = 300;

/** A config value trimmed, or null when unset or blank. */
function configValue(key: string): string | null {
  const value = config(key);
  if (value === null) return null;
  const trimmed = value.trim();
  return trimmed.length > 0 ? trimmed : null;
}

/** The start of a body, for an error message. */
function excerpt(body: string | null): string {
  if (body === null) return "(a body that is not UTF-8)";
  const cut = truncateChars(body, EXCERPT_CHARS);
  return cut.length < body.length ? cut + "…" : cut;
}

/** What a failed answer says: OpenAI's `{"error": {"message"}}` (or `{"error": "…"}`, Ollama's and TEI's), else an excerpt. */
function answerError(body: string | null): string {
  if (body !== null) {
    const json = parseJson(body).value;
    if (json !== null && json.isObject()) {
      const error = json.get("error");
      if (error !== null && error.isString()) return error.str;
      if (error !== null && error.isObject()) {
        const message = error.getString("message");
        if (message !== null) return message;
      }
      const message = json.getString("message");
      if (message !== null) return message;
    }
  }
  return excerpt(body);
}

/** The settings of one call, read and checked once. */
class Settings {
  url: string = "";
  model: string = "";
  dimensions: i64 = 0;
  sendDimensions: bool = false;
  batchSize: i32 = 32;
  key: string | null = null;
  error: string | null = null;
}

function readSettings(): Settings {
  const s = new Settings();
  let base = configValue("baseURL");
  if (base === null) base = "https://api.openai.com/v1";
  if (!base.startsWith("http://") && !base.startsWith("https://")) {
    s.error = "baseURL " + base + " is not an http(s) URL; set it with: shimmy plugin config " + NAME + " baseURL=http://127.0.0.1:11434/v1";
    return s;
  }
  if (base.includes("?") || base.includes("#")) {
    s.error = "baseURL " + base + " must be a base URL without ? or #";
    return s;
  }
  while (base.endsWith("/")) base = base.substring(0, base.length - 1);
  s.url = base + "/embeddings";
  const model = configValue("model");
  s.model = model !== null ? model : "text-embedding-3-small";
  s.dimensions = configInteger("dimensions", 0);
  if (s.dimensions < 1) {
    s.error = "the dimensions setting is not a whole number of 1 or more; set it with: shimmy plugin config " + NAME + " dimensions=768";
    return s;
  }
  s.sendDimensions = configBool("sendDimensions", false);
  const batch = configInteger("batchSize", DEFAULT_BATCH);
  s.batchSize = <i32>(batch < 1 ? 1 : batch > 2048 ? 2048 : batch);
  s.key = configValue("apiKey");
  return s;
}

/** The request body for texts `start` to `end` of `texts`. */
function requestBody(s: Settings, texts: JsonValue, start: i32, end: i32): string {
  const parts = new Array<string>();
  parts.push('{"model":' + quoteJsonString(s.model) + ',"encoding_format":"float"');
  if (s.sendDimensions) parts.push(',"dimensions":' + s.dimensions.toString());
  parts.push(',"input":[');
  for (let i = start; i < end; i++) {
    if (i > start) parts.push(",");
    parts.push(quoteJsonString(texts.at(i)!.str));
  }
  parts.push("]}");
  return parts.join("");
}

/**
 * Sends texts `start` to `end` and appends their vectors (as JSON number lists, in order) to `out`;
 * returns the prompt tokens the endpoint reports, or -1 after writing the failure to `failure`.
 */
function embedBatch(s: Settings, texts: JsonValue, start: i32, end: i32, out: Array<string>, failure: Array<string>): i64 {
  const headers = JsonValue.makeObject().setString("Content-Type", "application/json").setString("Accept", "application/json");
  const key = s.key;
  if (key !== null) headers.setString("Authorization", "Bearer " + key);
  const reply = HttpReply.from(http("POST", s.url, headers, requestBody(s, texts, start, end)));
  const refused = reply.error;
  if (refused !== null) {
    failure.push("could not reach " + s.url + ": " + refused);
    return -1;
  }
  if (!reply.ok) {
    const hint = reply.status == 401 || reply.status == 403 ? " (set the key with: shimmy plugin config " + NAME + " apiKey=…)" : "";
    failure.push(s.url + " answered HTTP " + reply.status.toString() + ": " + answerError(reply.body) + hint);
    return -1;
  }
  const body = reply.body;
  if (body === null) {
    failure.push("the answer of " + s.url + " is not UTF-8 text");
    return -1;
  }
  const answer = readAnswer(body);
  const unreadable = answer.error;
  if (unreadable !== null || !answer.hasData) {
    failure.push("the answer of " + s.url + ' is not JSON with a "data" array (' + (unreadable !== null ? unreadable : "no data") + "): " + excerpt(body));
    return -1;
  }
  const count = end - start;
  if (answer.vectors.length != count) {
    failure.push(s.url + " returned " + answer.vectors.length.toString() + " vectors for " + count.toString() + " texts");
    return -1;
  }
  // OpenAI's answer gives each vector's place in `index`; without one, the order is the answer's.
  const ordered = new Array<string | null>(count);
  for (let i = 0; i < count; i++) ordered[i] = null;
  for (let i = 0; i < count; i++) {
    const vector = answer.vectors[i];
    const index = answer.indexes[i] == -1 ? i : answer.indexes[i];
    if (vector === null) {
      failure.push("the answer of " + s.url + " has no embedding array at data." + i.toString() + " (ask for encoding_format float): " + excerpt(body));
      return -1;
    }
    if (index < 0 || index >= count || ordered[index] !== null) {
      failure.push("the answer of " + s.url + " has a missing or repeated index at data." + i.toString());
      return -1;
    }
    if (<i64>answer.lengths[i] != s.dimensions) {
      failure.push(
        s.url + " returned vectors of " + answer.lengths[i].toString() + " numbers but the dimensions setting is " + s.dimensions.toString() +
          "; set it to the model's size with: shimmy plugin config " + NAME + " dimensions=" + answer.lengths[i].toString(),
      );
      return -1;
    }
    ordered[index] = vector;
  }
  for (let i = 0; i < count; i++) out.push(ordered[i]!);
  return answer.promptTokens > 0 ? answer.promptTokens : 0;
}

/**
 * Embedder `embed`: `{input: [text, …]}` → `{data: [{embedding: [number, …]}, …], usage: {prompt_tokens, total_tokens}}`.
 */
export function embed(): i32 {
  const parsed = inputJson();
  const input = parsed.value;
  if (input === null || !input.isObject()) return fail("input must be a JSON object: " + parsed.error);
  const texts = input.getArray("input");
  if (texts === null || texts.length == 0) return fail('"input" must be a non-empty array of strings');
  for (let i = 0; i < texts.length; i++) if (!texts.at(i)!.isString()) return fail("input." + i.toString() + " is not a string");
  const s = readSettings();
  const problem = s.error;
  if (problem !== null) return fail(problem);

  const vectors = new Array<string>();
  const failure = new Array<string>();
  let tokens: i64 = 0;
  for (let start = 0; start < texts.length; start += s.batchSize) {
    const end = min(start + s.batchSize, texts.length);
    const used = embedBatch(s, texts, start, end, vectors, failure);
    if (used < 0) return fail(failure[0]);
    tokens += used;
  }
  const parts = new Array<string>();
  parts.push('{"data":[');
  for (let i = 0; i < vectors.length; i++) {
    parts.push(i > 0 ? ',{"embedding":[' : '{"embedding":[');
    parts.push(vectors[i]);
    parts.push("]}");
  }
  parts.push('],"usage":{"prompt_tokens":' + tokens.toString() + ',"total_tokens":' + tokens.toString() + "}}");
  outputText(parts.join(""));
  collect(); // as ok() does: the instance goes back to its live size before the next call
  return 0;
}
