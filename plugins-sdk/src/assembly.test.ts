/**
 * The SDK's AssemblyScript library (`plugins-sdk/assembly/`), exercised through a fixture plugin
 * built with `buildPlugin` and run by `@extism/extism`: the JSON library and the host wrappers.
 */
import path from "node:path";
import { promises as fs } from "node:fs";
import { fileURLToPath } from "node:url";
import createPlugin, { type CallContext } from "@extism/extism";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildPlugin, wasmImports } from "./build.js";

type Plugin = Awaited<ReturnType<typeof createPlugin>>;

const FIXTURE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../assembly/__tests__/json-fixture");

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

beforeAll(async () => {
  const { wasmPath } = await buildPlugin(FIXTURE);
  const wasm = await fs.readFile(wasmPath);
  await fs.rm(wasmPath);
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

async function call(name: string, input: string): Promise<string> {
  const out = await plugin.call(name, input);
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
      { wasm: [{ data: await buildPlugin(FIXTURE).then(async (r) => { const b = await fs.readFile(r.wasmPath); await fs.rm(r.wasmPath); return b; }) }] },
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
