// Test fixture for plugins-sdk/src/assembly.test.ts: not a plugin anyone installs. Each export
// reads its arguments from the input JSON and reports what the SDK helper gave back.
import {
  configBool,
  configInteger,
  configJson,
  decodeBase64,
  decodeUtf8,
  encodeBase64,
  HttpReply,
  incompleteUtf8Tail,
  inputJson,
  isValidUtf8,
  JsonValue,
  ok,
  percentEncode,
  QueryBuilder,
  truncateChars,
} from "@shimmy/plugin-sdk/assembly";

function input(): JsonValue {
  const value = inputJson().value;
  return value !== null ? value : JsonValue.makeObject();
}

function strings(value: JsonValue | null): Array<string> {
  const out = new Array<string>();
  if (value === null) return out;
  for (let i = 0; i < value.length; i++) out.push(value.at(i)!.str);
  return out;
}

function bytesOf(value: JsonValue | null): Uint8Array {
  const n = value !== null ? value.length : 0;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = <u8>value!.at(i)!.num;
  return out;
}

function bytesJson(bytes: Uint8Array | null): JsonValue {
  if (bytes === null) return JsonValue.makeNull();
  const out = JsonValue.makeArray();
  for (let i = 0; i < bytes.length; i++) out.push(JsonValue.makeInteger(bytes[i]));
  return out;
}

function stringOrNull(s: string | null): JsonValue {
  return s !== null ? JsonValue.makeString(s) : JsonValue.makeNull();
}

/** `{value, keys}` → `{key: what each getter gives}`; the fallbacks are -1 (and -0.5 for numbers). */
export function json_getters(): i32 {
  const args = input();
  const value = args.get("value")!;
  const keys = strings(args.get("keys"));
  const out = JsonValue.makeObject();
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    const member = value.get(key);
    out.set(
      key,
      JsonValue.makeObject()
        .setNumber("number", value.getNumber(key, -0.5))
        .setInteger("integer", value.getInteger(key, -1))
        .setInteger("clamped", value.getIntegerClamped(key, -1, -10, 10))
        .setBool("bool_false", value.getBool(key, false))
        .setBool("bool_true", value.getBool(key, true))
        .setBool("is_integer", member !== null && member.isInteger())
        .setBool("array", value.getArray(key) !== null)
        .setBool("object", value.getObject(key) !== null),
    );
  }
  return ok(out);
}

/** `{keys}` → `{key: {integer, bool_false, bool_true, json}}`, the fallbacks -1, false and true. */
export function config_values(): i32 {
  const keys = strings(input().get("keys"));
  const out = JsonValue.makeObject();
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    const json = configJson(key);
    out.set(
      key,
      JsonValue.makeObject()
        .setInteger("integer", configInteger(key, -1))
        .setBool("bool_false", configBool(key, false))
        .setBool("bool_true", configBool(key, true))
        .set("json", json !== null ? json : JsonValue.makeString("(none)")),
    );
  }
  return ok(out);
}

/** The input is a `shimmy_http` reply; the output is what `HttpReply` reads from it. */
export function http_reply(): i32 {
  const reply = HttpReply.from(input());
  const type = reply.contentType();
  return ok(
    JsonValue.makeObject()
      .set("error", stringOrNull(reply.error))
      .setString("code", reply.errorCode)
      .setInteger("status", reply.status)
      .setBool("ok", reply.ok)
      .set("content_type", stringOrNull(reply.header("Content-Type")))
      .set("x_missing", stringOrNull(reply.header("x-missing")))
      .setString("media_type", type.mediaType)
      .setString("charset", type.charset)
      .set("body", stringOrNull(reply.body))
      .set("bytes", bytesJson(reply.bodyBytes())),
  );
}

/** `{decode: [texts], encode: [byte arrays]}` → `{decoded: [bytes or null], encoded: [texts]}`. */
export function base64(): i32 {
  const args = input();
  const decoded = JsonValue.makeArray();
  const texts = strings(args.get("decode"));
  for (let i = 0; i < texts.length; i++) decoded.push(bytesJson(decodeBase64(texts[i])));
  const encoded = JsonValue.makeArray();
  const arrays = args.get("encode");
  for (let i = 0; arrays !== null && i < arrays.length; i++) encoded.push(JsonValue.makeString(encodeBase64(bytesOf(arrays.at(i)))));
  return ok(JsonValue.makeObject().set("decoded", decoded).set("encoded", encoded));
}

/** `{bytes}` → `{valid, text, tail}`: `text` is `decodeUtf8`'s answer, `tail` `incompleteUtf8Tail`'s. */
export function utf8(): i32 {
  const bytes = bytesOf(input().get("bytes"));
  return ok(
    JsonValue.makeObject()
      .setBool("valid", isValidUtf8(bytes))
      .set("text", stringOrNull(decodeUtf8(bytes)))
      .setInteger("tail", incompleteUtf8Tail(bytes)),
  );
}

/** `{text, max}` → `{text}`. */
export function truncate(): i32 {
  const args = input();
  const text = args.getString("text")!;
  return ok(JsonValue.makeObject().setString("text", truncateChars(text, <i32>args.getInteger("max", 0))));
}

/** `{texts, pairs: [[key, value]]}` → `{encoded: [...], query}`. */
export function url(): i32 {
  const args = input();
  const texts = strings(args.get("texts"));
  const encoded = JsonValue.makeArray();
  for (let i = 0; i < texts.length; i++) encoded.push(JsonValue.makeString(percentEncode(texts[i])));
  const query = new QueryBuilder();
  const pairs = args.get("pairs");
  for (let i = 0; pairs !== null && i < pairs.length; i++) {
    const pair = strings(pairs.at(i));
    query.add(pair[0], pair[1]);
  }
  return ok(JsonValue.makeObject().set("encoded", encoded).setString("query", query.toString()));
}
