/**
 * The SDK's AssemblyScript library (`plugins-sdk/assembly/`), exercised through fixture plugins
 * built with `buildPlugin` and run by `@extism/extism`: the JSON library and the host wrappers
 * (`json-fixture`), and the typed getters, config readers, `HttpReply`, base64, UTF-8, truncation
 * and URL helpers (`helpers-fixture`).
 */
import path from "node:path";
import { promises as fs } from "node:fs";
import { fileURLToPath } from "node:url";
import createPlugin, { type CallContext } from "@extism/extism";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildPlugin, wasmImports } from "./build.js";

type Plugin = Awaited<ReturnType<typeof createPlugin>>;

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../assembly/__tests__");
const FIXTURE = path.join(FIXTURES, "json-fixture");
const HELPERS_FIXTURE = path.join(FIXTURES, "helpers-fixture");

let plugin: Plugin;
let imports: string[];
const nowRequests: string[] = [];
const hostRequests: Array<[string, unknown]> = [];
const logged: string[] = [];

function stub(name: string, reply: unknown) {
  return (context: CallContext, offset: bigint): bigint => {
    hostRequests.push([name, JSON.parse(context.read(offset)!.text())]);
    return context.store(JSON.stringify(reply));
  };
}

/** Builds a fixture and returns its wasm, leaving no plugin.wasm behind. */
async function compile(dir: string): Promise<Uint8Array> {
  const { wasmPath } = await buildPlugin(dir);
  const wasm = await fs.readFile(wasmPath);
  await fs.rm(wasmPath);
  return wasm;
}

beforeAll(async () => {
  const wasm = await compile(FIXTURE);
  imports = wasmImports(wasm).map((i) => `${i.module}/${i.name}`);
  plugin = await createPlugin(
    { wasm: [{ data: wasm }] },
    {
      useWasi: false,
      runInWorker: false,
      config: { greeting: "grüß dich" },
      logger: { ...console, info: (message: string) => logged.push(message) } as Console,
      functions: {
        "extism:host/user": {
          shimmy_http: stub("http", { status: 200, headers: { "content-type": "text/plain" }, body: "ok ✓" }),
          shimmy_fs_read: stub("read", { text: "contents" }),
          shimmy_fs_list: stub("list", { entries: [{ name: "a.txt", type: "file", size: 8 }] }),
          shimmy_fs_write: stub("write", { error: { message: "permission denied: /data is read-only" } }),
          shimmy_now(context: CallContext, offset: bigint): bigint {
            nowRequests.push(context.read(offset)!.text());
            return context.store(JSON.stringify({ unix_ms: 1700000000000, iso: "2023-11-14T22:13:20.000Z", note: "ünï 😀" }));
          },
        },
      },
    },
  );
});

afterAll(async () => {
  await plugin?.close();
});

async function call(name: string, input: string, on: Plugin = plugin): Promise<string> {
  const out = await on.call(name, input);
  return out!.text();
}

async function callError(name: string, input: string): Promise<string> {
  try {
    await plugin.call(name, input);
  } catch (error) {
    return (error as Error).message.replace(/^Plugin-originated error: /, "");
  }
  throw new Error(`${name}(${input}) did not fail`);
}

describe("JSON library", () => {
  it("round-trips values, keeping raw numbers and key order", async () => {
    const text = '{"z":1,"a":[true,false,null,0,-0.5,1e400,12345678901234567890123,1.10E-2],"m":{"":{}},"e":[]}';
    expect(await call("roundtrip", text)).toBe(text);
    expect(await call("roundtrip", ' \n\t{ "a" : [ 1 , 2 ] }\r\n')).toBe('{"a":[1,2]}');
    expect(await call("roundtrip", '"just a string"')).toBe('"just a string"');
    expect(await call("roundtrip", "42")).toBe("42");
  });

  it("decodes and re-encodes escapes", async () => {
    expect(await call("roundtrip", '"q\\"b\\\\s\\/n\\nr\\rt\\tb\\bf\\f\\u0001\\u001F\\u0041"')).toBe(
      '"q\\"b\\\\s/n\\nr\\rt\\tb\\bf\\f\\u0001\\u001fA"',
    );
  });

  it("handles non-ASCII text and surrogate pairs", async () => {
    const text = JSON.stringify({ "ключ": "héllo 中文 😀", emoji: "\u{1F600}" });
    expect(await call("roundtrip", text)).toBe(text);
    expect(await call("roundtrip", '"\\ud83d\\ude00 \\u00e9"')).toBe('"😀 é"');
    expect(await call("roundtrip_ascii", text)).toBe('{"\\u043a\\u043b\\u044e\\u0447":"h\\u00e9llo \\u4e2d\\u6587 \\ud83d\\ude00","emoji":"\\ud83d\\ude00"}');
    // a lone surrogate cannot be UTF-8: it stays an escape
    expect(await call("roundtrip", '"a\\ud800b\\udc00"')).toBe('"a\\ud800b\\udc00"');
  });

  it("builds the tree it describes", async () => {
    const out = JSON.parse(await call("inspect", '{"a":[1.5,"héllo",true,null,{"b":-2}],"s":"😀","a2":100000000000000000001}'));
    expect(out.tree).toBe("{a:[n(1.5=1.5),s(5),true,null,{b:n(-2=-2.0)}],s:s(2),a2:n(100000000000000000001=100000000000000000000.0)}");
  });

  it("reports malformed input with a position, never a trap", async () => {
    const cases: Array<[string, RegExp]> = [
      ["", /unexpected end of input at position 0/],
      ["{", /expected a string key, found end of input at position 1/],
      ['{"a" 1}', /expected ':', found '1' at position 5/],
      ['{"a":1,}', /expected a string key, found '}' at position 7/],
      ["[1,2", /unterminated array at position 4/],
      ["[1 2]", /expected ',' or '\]', found '2' at position 3/],
      ['"abc', /unterminated string starting at 0/],
      ['"a\nb"', /unescaped control character u000a in string at position 2/],
      ['"\\x"', /invalid escape \\x at position 1/],
      ['"\\u12G4"', /invalid \\u escape at position 1/],
      ["01", /unexpected '1' after the value at position 1/],
      ["-", /invalid number at position 0/],
      ["1.", /digits expected after '.' at position 2/],
      ["1e+", /digits expected in exponent at position 3/],
      ["tru", /unexpected 't' at position 0/],
      ["nulls", /unexpected 's' after the value at position 4/],
      ["[".repeat(600) + "]".repeat(600), /nesting deeper than 512/],
      ["{} {}", /after the value at position 3/],
    ];
    for (const [input, message] of cases) expect(await callError("roundtrip", input)).toMatch(message);
    // the instance is still fine after all those errors
    expect(await call("roundtrip", "[1]")).toBe("[1]");
  });

  it("accepts deep nesting up to the limit", async () => {
    const deep = "[".repeat(500) + "]".repeat(500);
    expect(await call("roundtrip", deep)).toBe(deep);
  });

  it("builds values through the API", async () => {
    const out = JSON.parse(await call("construct", "{}"));
    expect(Object.keys(out.value)).toEqual(["b", "a", "f", "nan", "t", "z", "ctl", "lone", "emoji", "arr"]);
    expect(out.value).toEqual({
      b: "replaced",
      a: -9007199254740993,
      f: 0.5,
      nan: null,
      t: true,
      z: null,
      ctl: 'q"\\/\n\r\t\b\f\u0001\u001f',
      lone: "\ud800x\udc00",
      emoji: "😀 é 中",
      arr: [1, 1.1, []],
    });
    expect(out.check).toEqual({ has_b: true, missing_is_null: true, length: 10, at_out_of_range_is_null: true });
    // the i64 is written exactly, and the raw number keeps its text
    const raw = await call("construct", "{}");
    expect(raw).toContain('"a":-9007199254740993');
    expect(raw).toContain('"arr":[1,1.10,[]]');
    expect(raw).toContain('"lone":"\\ud800x\\udc00"');
  });
});

describe("host wrappers", () => {
  it("imports the Shimmy host functions the plugin calls (the calculator, calling none, imports none)", () => {
    expect(imports.filter((i) => i.startsWith("extism:host/user/")).sort()).toEqual(
      ["shimmy_fs_list", "shimmy_fs_read", "shimmy_fs_write", "shimmy_http", "shimmy_now"].map((n) => `extism:host/user/${n}`),
    );
  });

  it("sends each host function its JSON request and reads its reply", async () => {
    hostRequests.length = 0;
    const out = JSON.parse(await call("world", "{}"));
    expect(hostRequests).toEqual([
      ["http", { method: "POST", url: "https://example.com/ä", headers: { accept: "application/json" }, body: "body ✓" }],
      ["read", { path: "/data/a.txt", offset: 2, length: 10 }],
      ["read", { path: "/data/a.txt" }],
      ["list", { path: "/data" }],
      ["write", { path: "/data/b.txt", text: "text ✓" }],
    ]);
    expect(out).toEqual({
      http: { status: 200, headers: { "content-type": "text/plain" }, body: "ok ✓" },
      read: { text: "contents" },
      read_all: { text: "contents" },
      list: { entries: [{ name: "a.txt", type: "file", size: 8 }] },
      write: { error: { message: "permission denied: /data is read-only" } },
      config: "grüß dich",
      write_error: "permission denied: /data is read-only",
    });
    expect(logged).toContain("world: calling the host");
  });

  it("sends JSON to a host function and parses its UTF-8 reply", async () => {
    expect(JSON.parse(await call("clock", "{}"))).toEqual({ unix_ms: 1700000000000, iso: "2023-11-14T22:13:20.000Z", note: "ünï 😀" });
    expect(nowRequests.at(-1)).toBe("{}");
  });

  it("turns an abort into the call's error, then a trap", async () => {
    const aborts: string[] = [];
    const fresh = await createPlugin(
      { wasm: [{ data: await compile(FIXTURE) }] },
      {
        useWasi: false,
        runInWorker: false,
        functions: {
          "extism:host/user": { shimmy_now: () => 0n, shimmy_http: () => 0n, shimmy_fs_read: () => 0n, shimmy_fs_list: () => 0n, shimmy_fs_write: () => 0n },
        },
        logger: { ...console, error: (message: string) => aborts.push(message) } as Console,
      },
    );
    try {
      // The Node SDK throws the trap and drops the error block of a call that traps, so the
      // message is also logged at error level.
      const error = await fresh.call("crash", "x").then(() => null, (e: unknown) => e as Error);
      expect(error?.name).toBe("RuntimeError");
      expect(String(error)).toMatch(/unreachable/);
      expect(aborts).toEqual([expect.stringMatching(/^abort: assertion with ünïcödé failed at assembly\/index\.ts:\d+:\d+$/)]);
    } finally {
      await fresh.close();
    }
  });
});

describe("helpers", () => {
  let helpers: Plugin;

  beforeAll(async () => {
    helpers = await createPlugin(
      { wasm: [{ data: await compile(HELPERS_FIXTURE) }] },
      {
        useWasi: false,
        runInWorker: false,
        // As the host passes them: a string setting as it is, any other setting as JSON text.
        config: {
          n: "42",
          neg: "-7",
          spaced: " 12 ",
          frac: "1.5",
          big: "9007199254740993",
          str: "hello",
          t: "true",
          f: "false",
          list: '["a",1]',
        },
      },
    );
  });

  afterAll(async () => {
    await helpers?.close();
  });

  async function helper(name: string, input: unknown): Promise<any> {
    return JSON.parse(await call(name, JSON.stringify(input), helpers));
  }

  it("reads typed members exactly, and never traps on fractional, huge or missing numbers", async () => {
    // Written by hand: JSON.stringify would not keep 2.0, 1.5e1 or the long fraction as written.
    const value =
      '{"int":42,"neg":-7,"whole":2.0,"exp":1.5e1,"cents":100e-2,"zero":-0,"frac":1.5,"tiny_frac":1.0000000000000000001,' +
      '"small":1E-400,"negfrac":-2.5,"safe":9007199254740991,"unsafe":9007199254740993,"huge":1e300,"inf":1e400,' +
      '"neg_huge":-1e300,"str":"5","t":true,"f":false,"nul":null,"arr":[],"obj":{}}';
    const keys = [...Object.keys(JSON.parse(value)), "missing"];
    const out = JSON.parse(await call("json_getters", `{"value":${value},"keys":${JSON.stringify(keys)}}`, helpers));
    // [number, integer, clamped to -10..10] with the fallbacks -0.5, -1 and -1
    const numbers: Record<string, [number | null, number, number]> = {
      int: [42, 42, 10],
      neg: [-7, -7, -7],
      whole: [2, 2, 2],
      exp: [15, 15, 10],
      cents: [1, 1, 1],
      zero: [0, 0, 0],
      frac: [1.5, -1, 1],
      tiny_frac: [1, -1, 1],
      small: [0, -1, 0],
      negfrac: [-2.5, -1, -3],
      safe: [9007199254740991, 9007199254740991, 10],
      unsafe: [9007199254740992, -1, 10],
      huge: [1e300, -1, 10],
      inf: [null, -1, 10], // Infinity, which JSON writes as null
      neg_huge: [-1e300, -1, -10],
    };
    for (const [key, [number, integer, clamped]] of Object.entries(numbers)) {
      expect({ key, ...out[key] }).toEqual({
        key,
        number,
        integer,
        clamped,
        is_integer: integer !== -1,
        bool_false: false,
        bool_true: true,
        array: false,
        object: false,
      });
    }
    const fallbacks = { number: -0.5, integer: -1, clamped: -1, is_integer: false, bool_false: false, bool_true: true, array: false, object: false };
    expect(out.str).toEqual(fallbacks);
    expect(out.nul).toEqual(fallbacks);
    expect(out.missing).toEqual(fallbacks);
    expect(out.t).toEqual({ ...fallbacks, bool_false: true });
    expect(out.f).toEqual({ ...fallbacks, bool_true: false });
    expect(out.arr).toEqual({ ...fallbacks, array: true });
    expect(out.obj).toEqual({ ...fallbacks, object: true });
  });

  it("reads settings that reach the plugin as JSON text", async () => {
    const keys = ["n", "neg", "spaced", "frac", "big", "str", "t", "f", "list", "unset"];
    const text = await call("config_values", JSON.stringify({ keys }), helpers);
    const out = JSON.parse(text);
    const integers = Object.fromEntries(keys.map((k) => [k, out[k].integer]));
    expect(integers).toEqual({ n: 42, neg: -7, spaced: 12, frac: -1, big: -1, str: -1, t: -1, f: -1, list: -1, unset: -1 });
    expect(keys.filter((k) => out[k].bool_false)).toEqual(["t"]);
    expect(keys.filter((k) => !out[k].bool_true)).toEqual(["f"]);
    expect(out.list.json).toEqual(["a", 1]);
    expect(out.frac.json).toBe(1.5);
    expect(text).toContain('"big":{"integer":-1,"bool_false":false,"bool_true":true,"json":9007199254740993}');
    expect(out.str.json).toBe("(none)"); // a string setting is not JSON text: read it with config()
    expect(out.unset.json).toBe("(none)");
  });

  it("reads an HTTP reply: status, headers by any case, the body whether text or base64, and refusals", async () => {
    const none = { error: null, code: "", body: null, bytes: null, content_type: null, x_missing: null, media_type: "", charset: "" };
    expect(
      await helper("http_reply", {
        status: 404,
        headers: { "content-type": 'text/HTML; Charset="ISO-8859-1"', "x-other": "1" },
        body_base64: "6WE=",
      }),
    ).toEqual({ ...none, status: 404, ok: false, content_type: 'text/HTML; Charset="ISO-8859-1"', media_type: "text/html", charset: "iso-8859-1", bytes: [0xe9, 0x61] });
    expect(await helper("http_reply", { status: 200, headers: { "Content-Type": "text/plain" }, body: "é😀" })).toEqual({
      ...none,
      status: 200,
      ok: true,
      content_type: "text/plain",
      media_type: "text/plain",
      body: "é😀",
      bytes: [...Buffer.from("é😀")],
    });
    expect(await helper("http_reply", { status: 204, headers: {} })).toEqual({ ...none, status: 204, ok: true });
    expect(await helper("http_reply", { status: 200, headers: {}, body_base64: "not base64!" })).toEqual({ ...none, status: 200, ok: true });
    expect(await helper("http_reply", { error: { code: "forbidden", message: "not granted" } })).toEqual({ ...none, error: "not granted", code: "forbidden", status: 0, ok: false });
    expect(await helper("http_reply", { error: "plain" })).toEqual({ ...none, error: "plain", status: 0, ok: false });
  });

  it("decodes base64 as Node does, refuses what is not base64, and encodes as Node does", async () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const valid = ["", "aGk=", "aGk", "aGVsbG8gd29ybGQ=", "AA==", "AA", "/+/+", all.toString("base64")];
    const invalid = ["a", "aGk==", "aG=k", "aGk=\n", "aG k=", "-_8=", "====", "aGk===", "a===", "ü"];
    const out = await helper("base64", { decode: [...valid, ...invalid], encode: [] });
    expect(out.decoded).toEqual([...valid.map((t) => [...Buffer.from(t, "base64")]), ...invalid.map(() => null)]);

    const arrays = [[], [0], [0xff, 0xfe], [1, 2, 3], [0xfb, 0xff, 0xbf, 0x00], [...all]];
    const encoded = await helper("base64", { decode: [], encode: arrays });
    expect(encoded.encoded).toEqual(arrays.map((a) => Buffer.from(a).toString("base64")));
  });

  it("checks UTF-8 as a fatal TextDecoder does, and finds a character cut at the end", async () => {
    const cases: Array<[number[], number]> = [
      [[...Buffer.from("héllo 😀 中")], 0],
      [[], 0],
      [[0xf0, 0x9f, 0x98], 3], // 😀 cut after 3 of its 4 bytes
      [[0x61, 0xc3], 1], // é cut after its first byte
      [[0xe2, 0x82], 2], // € cut
      [[0xc0, 0xaf], 0], // overlong /
      [[0xe0, 0x80, 0xaf], 0], // overlong, 3 bytes
      [[0xed, 0xa0, 0x80], 0], // a surrogate
      [[0xf4, 0x90, 0x80, 0x80], 0], // past U+10FFFF
      [[0xff], 0],
      [[0x80], 0], // a continuation byte alone
      [[0x61, 0xc3, 0x61], 0], // a sequence cut short in the middle
    ];
    const fatal = new TextDecoder("utf-8", { fatal: true });
    for (const [bytes, tail] of cases) {
      let text: string | null;
      try {
        text = fatal.decode(new Uint8Array(bytes));
      } catch {
        text = null;
      }
      expect({ bytes, ...(await helper("utf8", { bytes })) }).toEqual({ bytes, valid: text !== null, text, tail });
    }
  });

  it("truncates to N UTF-16 units, never splitting a surrogate pair", async () => {
    const cases: Array<[string, number, string]> = [
      ["ab😀", 3, "ab"],
      ["ab😀", 4, "ab😀"],
      ["ab😀c", 4, "ab😀"],
      ["ab😀", 2, "ab"],
      ["abc", 10, "abc"],
      ["abc", 0, ""],
      ["abc", -5, ""],
      ["😀", 1, ""],
      ["a\ud800b", 2, "a"], // a lone high surrogate at the cut is dropped too
      ["a\udc00b", 2, "a\udc00"],
    ];
    for (const [text, max, expected] of cases) expect([text, max, (await helper("truncate", { text, max })).text]).toEqual([text, max, expected]);
  });

  it("percent-encodes UTF-8 keeping only RFC 3986's unreserved characters, lone surrogates as U+FFFD", async () => {
    const texts = ["café & co", "AZaz09-._~", "!'()*", "a b+c/d?e=f#g%", "😀", "\ud800", "x\udc00y", "\ud83d\ude00\ud83d", "", "中文"];
    const wellFormed = (s: string) => s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd");
    const rfc3986 = (s: string) => encodeURIComponent(wellFormed(s)).replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());
    const out = await helper("url", { texts, pairs: [["q", "a&b c"], ["format", "json"], ["ü", "=&"]] });
    expect(out.encoded).toEqual(texts.map(rfc3986));
    expect(out.encoded[5]).toBe("%EF%BF%BD");
    expect(out.query).toBe("q=a%26b%20c&format=json&%C3%BC=%3D%26");
  });
});
