// Test fixture for plugins-sdk/src/assembly.test.ts: not a plugin anyone installs.
import {
  config,
  fail,
  hostError,
  http,
  inputJson,
  inputText,
  JsonKind,
  JsonValue,
  listFolder,
  logInfo,
  now,
  ok,
  outputText,
  parseJson,
  readFile,
  writeFile,
} from "@shimmy/plugin-sdk/assembly";

export function roundtrip(): i32 {
  const parsed = parseJson(inputText());
  const value = parsed.value;
  if (value === null) return fail(parsed.error);
  outputText(value.stringify());
  return 0;
}

export function roundtrip_ascii(): i32 {
  const parsed = inputJson();
  const value = parsed.value;
  if (value === null) return fail(parsed.error);
  outputText(value.stringify(true));
  return 0;
}

function describe(v: JsonValue): string {
  switch (v.kind) {
    case JsonKind.Null: return "null";
    case JsonKind.Bool: return v.bool ? "true" : "false";
    case JsonKind.Number: return "n(" + v.raw + "=" + v.num.toString() + ")";
    case JsonKind.String: return "s(" + v.str.length.toString() + ")";
    case JsonKind.Array: {
      const parts = new Array<string>();
      for (let i = 0; i < v.length; i++) parts.push(describe(v.at(i)!));
      return "[" + parts.join(",") + "]";
    }
    default: {
      const parts = new Array<string>();
      for (let i = 0; i < v.keys.length; i++) parts.push(v.keys[i] + ":" + describe(v.values[i]));
      return "{" + parts.join(",") + "}";
    }
  }
}

/** `{"tree": "..."}`: kinds, raw numbers with their f64, string lengths in UTF-16 units. */
export function inspect(): i32 {
  const parsed = inputJson();
  const value = parsed.value;
  if (value === null) return fail(parsed.error);
  return ok(JsonValue.makeObject().setString("tree", describe(value)));
}

export function construct(): i32 {
  const obj = JsonValue.makeObject()
    .setString("b", "first")
    .setInteger("a", -9007199254740993)
    .setNumber("f", 0.5)
    .setNumber("nan", NaN)
    .setBool("t", true)
    .set("z", JsonValue.makeNull())
    .setString("ctl", "q\"\\/\n\r\t\b\f\u0001\u001f")
    .setString("lone", String.fromCharCode(0xd800) + "x" + String.fromCharCode(0xdc00))
    .setString("emoji", "😀 é 中");
  obj.setString("b", "replaced"); // keeps its place
  obj.set("arr", JsonValue.makeArray().push(JsonValue.makeNumber(1)).push(JsonValue.makeRawNumber("1.10")).push(JsonValue.makeArray()));
  const check = JsonValue.makeObject()
    .setBool("has_b", obj.has("b"))
    .setBool("missing_is_null", obj.get("nope") === null)
    .setInteger("length", obj.length)
    .setBool("at_out_of_range_is_null", obj.get("arr")!.at(5) === null);
  return ok(JsonValue.makeObject().set("value", obj).set("check", check));
}

export function clock(): i32 {
  return ok(now());
}

export function crash(): i32 {
  const n = inputText().length;
  assert(n < 0, "assertion with ünïcödé failed");
  return 0;
}

/** Calls every Shimmy host function once and reports the replies (and a config value). */
export function world(): i32 {
  logInfo("world: calling the host");
  const headers = JsonValue.makeObject().setString("accept", "application/json");
  const replies = JsonValue.makeObject()
    .set("http", http("POST", "https://example.com/ä", headers, "body ✓"))
    .set("read", readFile("/data/a.txt", 2, 10))
    .set("read_all", readFile("/data/a.txt"))
    .set("list", listFolder("/data"))
    .set("write", writeFile("/data/b.txt", "text ✓"));
  const key = config("greeting");
  replies.setString("config", key !== null ? key : "(unset)");
  const err = hostError(replies.get("write")!);
  replies.setString("write_error", err !== null ? err : "(none)");
  return ok(replies);
}
