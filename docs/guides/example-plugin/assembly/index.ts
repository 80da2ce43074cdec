/**
 * dictionary: the example plugin of docs/guides/writing-a-plugin.md. `define` calls a web service
 * at the URL the user configured (the only origin the manifest lets it reach); `count_words` is pure
 * computation. Each export reads its JSON input and returns ok(output) or fail(message).
 */
import { config, fail, HttpReply, http, inputJson, JsonValue, ok, parseJson, QueryBuilder } from "@shimmy/plugin-sdk/assembly";

export function define(): i32 {
  const input = inputJson().value;
  if (input === null) return fail("input must be JSON");
  // The host checked the input against inputSchema already: `word` is a string of 1 to 64 characters.
  const word = input.getString("word")!;
  const max = <i32>input.getIntegerClamped("max_definitions", 3, 1, 10);

  const base = config("url");
  if (base === null) return fail("no dictionary service is set: shimmy plugin config dictionary url=http://127.0.0.1:8800");
  const headers = JsonValue.makeObject().setString("accept", "application/json");
  const token = config("token");
  if (token !== null) headers.setString("authorization", "Bearer " + token);

  const url = base + "/define?" + new QueryBuilder().add("word", word).toString();
  const reply = HttpReply.from(http("GET", url, headers));
  // A refused or failed request (not granted, unreachable, too slow, too big) is a reply, not a trap.
  if (reply.error !== null) return fail("could not reach the dictionary: " + reply.error!);
  if (reply.status == 404) return ok(JsonValue.makeObject().setString("word", word).set("definitions", JsonValue.makeArray()));
  if (!reply.ok) return fail("the dictionary answered HTTP " + reply.status.toString());

  const body = reply.body;
  const parsed = body !== null ? parseJson(body).value : null;
  const found = parsed !== null ? parsed.getArray("definitions") : null;
  if (found === null) return fail("the dictionary's answer has no definitions list");
  const definitions = JsonValue.makeArray();
  for (let i = 0; i < found.length && definitions.length < max; i++) {
    const d = found.at(i)!;
    if (d.isString()) definitions.push(d);
  }
  return ok(JsonValue.makeObject().setString("word", word).set("definitions", definitions));
}

export function count_words(): i32 {
  const input = inputJson().value;
  if (input === null) return fail("input must be JSON");
  const text = input.getString("text")!;
  let words: i64 = 0;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const part = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c == 0x27 || c > 0x7f;
    if (part && !inWord) words++;
    inWord = part;
  }
  return ok(JsonValue.makeObject().setInteger("words", words));
}
