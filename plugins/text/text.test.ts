import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PluginHost } from "../../core/src/plugins/host.js";
import { readBuiltPlugin } from "../../test/helpers/packed-plugin.js";

let home: string;
let host: PluginHost;

beforeAll(async () => {
  const { manifest, wasm } = await readBuiltPlugin("text");
  home = await mkdtemp(path.join(tmpdir(), "shimmy-text-test-"));
  const logger = { info: () => {}, warn: () => {}, debug: () => {} };
  host = await PluginHost.load({ manifest, wasm, config: {}, home, serverAddresses: [], logger, poolSize: 1 });
});

afterAll(async () => {
  await host?.dispose();
  if (home) await rm(home, { recursive: true, force: true });
});

type Chunk = { index: number; text: string; start: number; end: number; tokens: number };
type Match = { text: string; start: number; end: number; groups: (string | null)[]; named?: Record<string, string | null> };

const step = <T>(name: string, input: unknown) => host.callStep(name, input) as Promise<T>;
const split = (input: Record<string, unknown>) => step<{ pieces: string[]; count: number }>("split", input);
const chunk = (input: Record<string, unknown>) => step<{ chunks: Chunk[]; count: number; tokens: number }>("chunk", input);
const fill = (input: Record<string, unknown>) => step<{ text: string; missing: string[] }>("template", input);
const regex = (input: Record<string, unknown>) => step<{ matches: Match[]; count: number; truncated: boolean }>("regex_extract", input);
const extract = (input: Record<string, unknown>) => step<{ found: boolean; value?: unknown; start?: number; end?: number }>("json_extract", input);
const join = (input: Record<string, unknown>) => step<{ text: string; count: number }>("join", input);
const refused = (message: string | RegExp) => ({ code: "plugin_error", message: typeof message === "string" ? expect.stringContaining(message) : expect.stringMatching(message) });

/** A deterministic generator, so a failing case can be replayed. */
function randomFrom(seed: number): (n: number) => number {
  let state = seed;
  return (n) => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state % n;
  };
}

describe("text: split", () => {
  it("splits lines at \\n, \\r\\n and \\r, with no empty last line after a final break", async () => {
    await expect(split({ text: "a\r\nb\rc\n\nd\n" })).resolves.toEqual({ pieces: ["a", "b", "c", "", "d"], count: 5 });
    await expect(split({ text: "" })).resolves.toEqual({ pieces: [], count: 0 });
    await expect(split({ text: " a \n\n b ", trim: true, skip_empty: true })).resolves.toEqual({ pieces: ["a", "b"], count: 2 });
  });

  it("splits sentences and paragraphs, and at a separator as JavaScript does", async () => {
    const text = "Dr. Who said: “Run!” Then he ran… Fast?\n\nA title\n\nNew para. 3.14 stays. 你好。再见！";
    await expect(split({ text, by: "sentences" })).resolves.toMatchObject({ pieces: ["Dr.", "Who said: “Run!”", "Then he ran…", "Fast?", "A title", "New para.", "3.14 stays.", "你好。", "再见！"] });
    await expect(split({ text, by: "paragraphs" })).resolves.toMatchObject({ pieces: ["Dr. Who said: “Run!” Then he ran… Fast?", "A title", "New para. 3.14 stays. 你好。再见！"] });
    for (const [t, sep] of [["a,,b,", ","], ["abcabc", "abc"], ["no separator", "|"], ["x--y----z", "--"]]) {
      await expect(split({ text: t, separator: sep }), `${t} / ${sep}`).resolves.toMatchObject({ pieces: t!.split(sep!) });
    }
  });

  it("refuses a text that makes more pieces than max_pieces, and a separator mode without one", async () => {
    await expect(split({ text: "a\n".repeat(11), max_pieces: 10 })).rejects.toMatchObject(refused("more than 10 pieces"));
    await expect(split({ text: "a\n".repeat(10), max_pieces: 10 })).resolves.toMatchObject({ count: 10 });
    await expect(split({ text: "a", by: "separator" })).rejects.toMatchObject(refused('"separator" must be given'));
  });
});

describe("text: chunk", () => {
  /** Checks what every chunking promises: offsets that hold, a size bound, progress, and overlap. */
  function checkChunks(text: string, chunks: Chunk[], size: number, exact: boolean): void {
    let previous: Chunk | undefined;
    for (const [i, c] of chunks.entries()) {
      expect(c.index).toBe(i);
      expect(c.text).toBe(text.slice(c.start, c.end));
      expect(c.text.length).toBeGreaterThan(0);
      expect(c.text.length).toBeLessThanOrEqual(size);
      // No surrogate pair is cut.
      expect(/^[\uDC00-\uDFFF]|[\uD800-\uDBFF]$/.test(c.text), JSON.stringify(c)).toBe(false);
      if (previous) expect(c.start).toBeGreaterThan(previous.start);
      previous = c;
    }
    if (exact) expect(chunks.map((c) => c.text).join("")).toBe(text);
  }

  it("covers the text exactly with boundary none and no overlap, never cutting a surrogate pair", async () => {
    const random = randomFrom(7);
    const alphabet = ["a", "b", " ", "\n", "é", "😀", "中", "-"];
    for (let round = 0; round < 12; round++) {
      const text = Array.from({ length: 50 + random(400) }, () => alphabet[random(alphabet.length)]).join("");
      const size = 2 + random(40);
      const { chunks } = await chunk({ text, size, boundary: "none" });
      checkChunks(text, chunks, size, true);
    }
  });

  it("overlaps chunks and moves cuts off words, keeping each chunk at least half its size", async () => {
    const random = randomFrom(11);
    const words = ["alpha", "be", "gamma", "delta", "e", "zeta", "eta", "theta", "internationalization"];
    const text = Array.from({ length: 400 }, () => words[random(words.length)]).join(" ");
    const { chunks } = await chunk({ text, size: 60, overlap: 15 });
    checkChunks(text, chunks, 60, false);
    expect(chunks.at(-1)!.end).toBe(text.length);
    for (const [i, c] of chunks.entries()) {
      expect(/^\s/.test(c.text), c.text).toBe(false);
      if (i + 1 < chunks.length) {
        // Cut at a word's start (after white space) unless the word was too long to move the cut back.
        expect(/\s$/.test(c.text) || c.text.length === 60, c.text).toBe(true);
        expect(chunks[i + 1]!.start).toBeLessThan(c.end);
      }
    }
  });

  it("chunks by approximate tokens, on token boundaries, with the estimate the manifest states", async () => {
    await expect(chunk({ text: "the tokenization of 2026, 中文 😀", size: 100, unit: "tokens" })).resolves.toMatchObject({
      // the 1, tokenization 3 (4 letters a token), of 1, 2026 2 (3 digits a token), "," 1, 中 1, 文 1, 😀 1
      tokens: 11,
      chunks: [{ text: "the tokenization of 2026, 中文 😀", tokens: 11 }],
    });
    const random = randomFrom(3);
    const words = ["Shimmy", "runs", "local", "models;", "workflows", "chain", "steps.", "12345", "é"];
    const text = Array.from({ length: 3000 }, () => words[random(words.length)]).join(random(5) === 0 ? "\n" : " ");
    const { chunks, tokens } = await chunk({ text, size: 50, overlap: 10, unit: "tokens" });
    const insideWord = (i: number) => i > 0 && i < text.length && /\w/.test(text[i - 1]!) && /\w/.test(text[i]!);
    expect(tokens).toBeGreaterThan(3000);
    for (const [i, c] of chunks.entries()) {
      expect(c.text).toBe(text.slice(c.start, c.end));
      expect(c.tokens).toBeLessThanOrEqual(50);
      expect(c.tokens).toBeGreaterThanOrEqual(i + 1 < chunks.length ? 25 : 1);
      expect(/^\s|\s$/.test(c.text), c.text).toBe(false);
      // Long words ("workflows" is 3 tokens) are kept whole: a chunk starts and ends at word edges.
      expect(insideWord(c.start), c.text).toBe(false);
      expect(insideWord(c.end), c.text).toBe(false);
    }
    expect(chunks.at(-1)!.end).toBe(text.trimEnd().length);
  });

  it("refuses overlap not under size, too many chunks, and output past 2,000,000 characters", async () => {
    await expect(chunk({ text: "abc", size: 3, overlap: 3 })).rejects.toMatchObject(refused('"overlap" must be smaller than "size"'));
    await expect(chunk({ text: "x".repeat(101), size: 10, max_chunks: 10 })).rejects.toMatchObject(refused("more than 10 chunks"));
    await expect(chunk({ text: "x".repeat(500_000), size: 100_000, overlap: 99_999, max_chunks: 100_000 })).rejects.toMatchObject(refused("longer than 2000000 characters"));
    const sentence = "lorem ipsum dolor sit amet, consectetur adipiscing elit. Sed do eiusmod tempor incididunt ut labore et dolore magna aliqua.\n";
    const prose = sentence.repeat(Math.ceil(500_000 / sentence.length)).slice(0, 500_000);
    await expect(chunk({ text: prose, size: 5, overlap: 1, unit: "tokens", max_chunks: 100_000 })).rejects.toMatchObject(refused("longer than 4000000 characters of JSON"));
    // The input schema caps the text; the host refuses a longer one before calling.
    await expect(chunk({ text: "x".repeat(500_001), size: 10 })).rejects.toMatchObject({ code: "invalid_input" });
  });
});

describe("text: template", () => {
  it("fills names, dotted paths and array indexes, and leaves what is not a placeholder", async () => {
    const values = { name: "Ada", user: { langs: ["en", "fr"], age: 36, admin: false, none: null }, "kebab-key": "k" };
    await expect(fill({ template: "{{name}} {{ user.langs.1 }} {{user.age}} {{user.admin}} [{{user.none}}] {{kebab-key}} {{user.langs}}", values })).resolves.toEqual({
      text: 'Ada fr 36 false [] k ["en","fr"]',
      missing: [],
    });
    await expect(fill({ template: "{{{name}}} {{ not a path }} {{}} {{name", values })).resolves.toEqual({ text: "{Ada} {{ not a path }} {{}} {{name", missing: [] });
    await expect(fill({ template: "{{a..b}} {{.a}} {{name}}", values })).resolves.toMatchObject({ text: "{{a..b}} {{.a}} Ada" });
  });

  it("answers a missing value as told: an error, nothing, or the placeholder kept", async () => {
    await expect(fill({ template: "Hi {{who}}", values: {} })).rejects.toMatchObject(refused("names {{who}}, which values does not have"));
    await expect(fill({ template: "Hi {{who}}{{who}}!", values: {}, missing: "empty" })).resolves.toEqual({ text: "Hi !", missing: ["who"] });
    await expect(fill({ template: "Hi {{ who }}!", values: {}, missing: "keep" })).resolves.toEqual({ text: "Hi {{ who }}!", missing: ["who"] });
  });

  it("refuses output past 2,000,000 characters, and lookups past their budget, promptly", async () => {
    await expect(fill({ template: "{{x}}".repeat(20_000), values: { x: "y".repeat(1000) } })).rejects.toMatchObject(refused("longer than 2000000 characters"));
    // 5,000 keys scanned for each of 12,000 distinct missing paths: 60,000,000 steps, past the 10,000,000 budget.
    const values = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, 1]));
    const template = Array.from({ length: 12_000 }, (_, i) => `{{${i.toString(36).padStart(3, "0")}}}`).join("");
    await expect(fill({ template, values, missing: "empty" })).rejects.toMatchObject(refused("looking up the values took more than 10000000 steps"));
  });
});

describe("text: regex_extract", () => {
  /** What JavaScript's matchAll finds, in the step's shape. */
  function jsMatches(text: string, pattern: string, flags: string): Omit<Match, "named">[] {
    return [...text.matchAll(new RegExp(pattern, flags + "g"))].map((m) => ({ text: m[0], start: m.index, end: m.index + m[0].length, groups: m.slice(1).map((g) => g ?? null) }));
  }

  it("agrees with JavaScript's RegExp on random texts", async () => {
    const cases: [string, string][] = [
      ["a", ""], ["a|ab", ""], ["ab|a", ""], ["(a|ab)(c|bcd)?", ""], ["a*", ""], ["a*?", ""], ["a+?b", ""], ["(a+)+b", ""],
      ["[a-c]+", ""], ["[^a\\s]+", ""], ["\\w+", ""], ["\\W", ""], ["\\d{1,2}", ""], ["x?", ""], ["^a", ""], ["a$", ""],
      ["^a|b$", "m"], ["\\ba\\w*", ""], ["\\B.", ""], ["(?:ab)+", ""], ["(a)|(b)", ""], ["(a)(b)?", ""], ["a{2,}", ""],
      ["a{0,3}b", ""], ["[A-C]+", "i"], ["é+", "i"], ["AB", "i"], [".+", ""], [".+", "s"], ["^.*$", "m"], ["(a*)*", ""],
      ["(a|)+", ""], ["(a|b)*?c", ""], ["[\\d-]+", ""], ["[-a]", ""], ["\\x61\\u0062", ""], ["[\\s\\S]{3}", ""], ["a{2}", ""],
      ["(?:a|b|1)+_", ""], ["\\.", ""], ["[.]+", ""], ["(b)(?:(a)|c)", ""], ["\\t|\\n", ""],
    ];
    const random = randomFrom(42);
    const alphabet = ["a", "b", "c", "A", "B", "1", "2", "-", "_", " ", "\n", ".", "é", "É", "\t"];
    for (let round = 0; round < 6; round++) {
      const text = Array.from({ length: 20 + random(60) }, () => alphabet[random(alphabet.length)]).join("");
      for (const [pattern, flags] of cases) {
        const { matches } = await regex({ text, pattern, flags, max_matches: 10_000 });
        expect(matches, `/${pattern}/${flags} on ${JSON.stringify(text)}`).toEqual(jsMatches(text, pattern, flags));
      }
    }
  });

  it("gives named groups, the first match only, truncation, and whole surrogate pairs for .", async () => {
    await expect(regex({ text: "k=v; x=", pattern: "(?<key>\\w+)=(?<value>\\w+)?" })).resolves.toEqual({
      matches: [
        { text: "k=v", start: 0, end: 3, groups: ["k", "v"], named: { key: "k", value: "v" } },
        { text: "x=", start: 5, end: 7, groups: ["x", null], named: { key: "x", value: null } },
      ],
      count: 2,
      truncated: false,
    });
    await expect(regex({ text: "a1 b2 c3", pattern: "\\w\\d", all: false })).resolves.toEqual({ matches: [{ text: "a1", start: 0, end: 2, groups: [] }], count: 1, truncated: false });
    await expect(regex({ text: "a1 b2 c3", pattern: "\\w\\d", max_matches: 2 })).resolves.toMatchObject({ count: 2, truncated: true });
    await expect(regex({ text: "a1 b2", pattern: "\\w\\d", max_matches: 2 })).resolves.toMatchObject({ count: 2, truncated: false });
    await expect(regex({ text: "x😀y", pattern: "x.y" })).resolves.toMatchObject({ matches: [{ text: "x😀y", start: 0, end: 4 }] });
    await expect(regex({ text: "😀😀", pattern: "[😀]+" })).resolves.toMatchObject({ matches: [{ text: "😀😀" }] });
  });

  it("refuses what it does not support, naming it and where", async () => {
    const cases: [string, string][] = [
      ["(a)\\1", "backreferences are not supported at position 4"],
      ["a(?=b)", "lookahead and lookbehind are not supported"],
      ["(?<=a)b", "lookahead and lookbehind are not supported"],
      ["\\p{L}", "\\p{...} property classes are not supported at position 1"],
      ["(a", "unterminated group"],
      ["a)", "unmatched )"],
      ["[a", "unterminated character class"],
      ["[z-a]", "a range is out of order"],
      ["*a", "nothing to repeat at position 1"],
      ["a**", "a quantifier follows a quantifier"],
      ["a{1001}", "a repeat count is over 1000"],
      ["(?:a{1000}){20}", "the pattern compiles to more than 10000 instructions"],
      ["\\q", "unknown escape \\q"],
    ];
    for (const [pattern, message] of cases) {
      await expect(regex({ text: "ab", pattern }), pattern).rejects.toMatchObject(refused(`pattern: ${message}`));
    }
    await expect(regex({ text: "ab", pattern: "a", flags: "g" })).rejects.toMatchObject({ code: "invalid_input" });
  });

  it("runs the patterns that backtracking engines hang on, in time linear in the text", async () => {
    const text = "a".repeat(20_000) + "!";
    for (const pattern of ["^(a+)+$", "(a|a)*b", "(a|aa)+$", "^(\\w+\\s?)*$", "(.*a){12}x"]) {
      await expect(regex({ text, pattern }), pattern).resolves.toMatchObject({ count: 0 });
    }
  });

  it("stops a pattern that needs more than its step budget with an error", async () => {
    // ~1,000 live threads at each of 100,000 positions: ~100,000,000 steps.
    await expect(regex({ text: "a".repeat(100_000), pattern: "(?:a?){500}a{500}b" })).rejects.toMatchObject(refused("took more than 20000000 steps"));
  });
});

describe("text: json_extract", () => {
  it("finds the JSON of a model's answer: fenced first, then anywhere, strings with brackets included", async () => {
    const answer = 'Sure! Here is {the data}:\n```json\n{"a": "} not the end {", "b": [1, {"c": null}]}\n```\nAnything else?';
    const found = await extract({ text: answer });
    expect(found).toMatchObject({ found: true, value: { a: "} not the end {", b: [1, { c: null }] } });
    expect(answer.slice(found.start, found.end)).toBe('{"a": "} not the end {", "b": [1, {"c": null}]}');
    await expect(extract({ text: 'The list [1, 2] and then {"x": 1}' })).resolves.toMatchObject({ value: [1, 2] });
    await expect(extract({ text: 'The list [1, 2] and then {"x": 1}', accept: "object" })).resolves.toMatchObject({ value: { x: 1 } });
    await expect(extract({ text: '{"broken": [1,} then {"ok": true}' })).resolves.toMatchObject({ value: { ok: true } });
    await expect(extract({ text: '```\n[{"plain": "fence"}]\n```' })).resolves.toMatchObject({ value: [{ plain: "fence" }] });
  });

  it("answers found false, or fails when required, and tries at most 64 candidates", async () => {
    await expect(extract({ text: "{'single': 'quotes'} and {trailing: 1,}" })).resolves.toEqual({ found: false });
    await expect(extract({ text: "nothing", required: true })).rejects.toMatchObject(refused("the text holds no JSON object or array"));
    await expect(extract({ text: "{x} ".repeat(63) + '{"late": 1}' })).resolves.toMatchObject({ value: { late: 1 } });
    await expect(extract({ text: "{x} ".repeat(64) + '{"late": 1}' })).resolves.toEqual({ found: false });
  });
});

describe("text: join", () => {
  it("joins items as text, a field of each, and skips empty ones when asked", async () => {
    await expect(join({ items: ["a", 2, null, { b: 1 }, [true]] })).resolves.toEqual({ text: 'a\n2\n\n{"b":1}\n[true]', count: 5 });
    await expect(join({ items: [{ p: { n: "x" } }, { p: { n: "" } }, { p: { n: "z" } }], field: "p.n", separator: "; ", skip_empty: true, prefix: "<", suffix: ">" })).resolves.toEqual({ text: "<x; z>", count: 2 });
    await expect(join({ items: [] , prefix: "[", suffix: "]" })).resolves.toEqual({ text: "[]", count: 0 });
    await expect(join({ items: [{ a: 1 }, { b: 2 }], field: "a" })).rejects.toMatchObject(refused("items[1] has no a"));
  });

  it("refuses output past 2,000,000 characters, and more than 10,000 items before calling", async () => {
    await expect(join({ items: Array.from({ length: 3000 }, () => "z".repeat(1000)) })).rejects.toMatchObject(refused("longer than 2000000 characters"));
    await expect(join({ items: Array.from({ length: 10_001 }, () => "z") })).rejects.toMatchObject({ code: "invalid_input" });
  });
});
