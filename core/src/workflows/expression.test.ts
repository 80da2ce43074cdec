import { describe, expect, it } from "vitest";
import { compileValue, isTruthy, resolveValue, type LocatedExpression } from "./compiled-value.js";
import { CompiledExpression, EXPRESSION_LIMITS, ExpressionError } from "./expression.js";
import { splitTemplate, TemplateSyntaxError } from "./template.js";

const context = { input: { name: "Ada", n: 3, list: [1, 2, 3], nested: { a: { b: true } } }, steps: { fetch: { output: { items: ["x", "y"], text: "hello" } } } };
const resolve = (value: unknown, ctx: object = context) => resolveValue(compileValue(value, "with", []), ctx);
const evaluate = (source: string, ctx: object = {}, limits = EXPRESSION_LIMITS) => CompiledExpression.compile(source, limits).evaluate(ctx);

describe("splitTemplate", () => {
  it("cuts text and expressions, keeping braces and quoted }} inside an expression", () => {
    expect(splitTemplate("Hi ${{ input.name }}!")).toEqual([{ text: "Hi " }, { expression: " input.name ", offset: 6 }, { text: "!" }]);
    expect(splitTemplate('${{ {"a": {"b": "}}"}} }}')).toEqual([{ expression: ' {"a": {"b": "}}"}} ', offset: 3 }]);
    expect(splitTemplate("no expression")).toEqual([{ text: "no expression" }]);
  });

  it("refuses an unclosed or empty expression", () => {
    expect(() => splitTemplate("a ${{ input")).toThrow(TemplateSyntaxError);
    expect(() => splitTemplate("${{ }}")).toThrow(/empty/);
  });
});

describe("resolving values", () => {
  it("keeps the type of a string that is exactly one expression", async () => {
    expect(await resolve("${{ input.n }}")).toBe(3);
    expect(await resolve("${{ input.list }}")).toEqual([1, 2, 3]);
    expect(await resolve("${{ input.nested }}")).toEqual({ a: { b: true } });
    expect(await resolve("${{ input.missing }}")).toBeNull();
    expect(await resolve("${{ steps.fetch.output.items[1] }}")).toBe("y");
  });

  it("interpolates expressions inside longer text: strings as they are, other values as JSON, null as nothing", async () => {
    expect(await resolve("Hi ${{ input.name }}, n=${{ input.n }} ${{ input.list }}${{ input.missing }}.")).toBe("Hi Ada, n=3 [1,2,3].");
  });

  it("resolves nested objects and arrays, and leaves literals alone", async () => {
    const literal = { a: [1, { b: "plain" }] };
    const compiled = compileValue(literal, "with", []);
    expect(compiled).toEqual({ kind: "literal", value: literal });
    expect(await resolve({ messages: [{ role: "user", content: "Say ${{ input.name }}" }], n: "${{ input.n + 1 }}", keep: false })).toEqual({
      messages: [{ role: "user", content: "Say Ada" }], n: 4, keep: false,
    });
  });

  it("returns plain JSON: sequences become lists, a lambda is an error", async () => {
    const value = await resolve("${{ steps.fetch.output.items.$uppercase($) }}");
    expect(value).toEqual(["X", "Y"]);
    expect(Object.keys(value as object)).toEqual(["0", "1"]);
    await expect(resolve("${{ function($x){ $x } }}")).rejects.toThrow(/function/);
  });

  it("keeps a __proto__ key as data", async () => {
    const value = (await resolve(JSON.parse('{"__proto__": {"polluted": "${{ input.name }}"}}'))) as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(value.__proto__).toEqual({ polluted: "Ada" });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("collects each expression with the path of its string", () => {
    const found: LocatedExpression[] = [];
    compileValue({ a: ["${{ input.x }}", { b: "t ${{ steps.s.output }}" }] }, "steps.0.with", found);
    expect(found.map((f) => [f.path, f.expression.source])).toEqual([["steps.0.with.a.0", " input.x "], ["steps.0.with.a.1.b", " steps.s.output "]]);
  });

  it("tells truthy conditions: false, null, 0, empty text and empty lists skip", () => {
    expect([false, null, 0, "", [], true, 1, "x", [0], {}].map(isTruthy)).toEqual([false, false, false, false, false, true, true, true, true, true]);
  });
});

describe("evaluation bounds: a document's expressions are treated as hostile", () => {
  it("stops an endless recursion by depth", async () => {
    await expect(evaluate("($f := function($n){ $f($n + 1) }; $f(0))")).rejects.toThrow(ExpressionError);
  });

  it("stops a long loop by time", async () => {
    const started = performance.now();
    const limits = { ...EXPRESSION_LIMITS, maxItems: 1e7 };
    await expect(evaluate("$sum([1..5000000].($ * 2))", {}, limits)).rejects.toThrow(/Evaluation timeout after 250 milliseconds/);
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it("stops a string doubling itself at the size bound, long before the heap", async () => {
    const error = await evaluate("($f := function($s, $n){ $n = 0 ? $s : $f($s & $s, $n - 1) }; $f('x', 40))").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExpressionError);
    expect((error as Error).message).toMatch(/string grew past/);
  });

  it("bounds lists, $pad's width, and refuses $eval at run time too", async () => {
    await expect(evaluate("[1..10000000]")).rejects.toThrow(ExpressionError);
    await expect(evaluate("$pad('x', 100000000)")).rejects.toThrow(/\$pad's width/);
    expect(await evaluate("$pad('ab', -5, '#')")).toBe("###ab");
    expect(await evaluate("$pad('ab', 4)")).toBe("ab  ");
    await expect(evaluate("$eval('1 + 1')")).rejects.toThrow(/\$eval is not available/);
  });

  it("reports a parse error with its position", () => {
    const error = (() => {
      try {
        CompiledExpression.compile("1 +");
      } catch (err) {
        return err as ExpressionError;
      }
    })();
    expect(error).toBeInstanceOf(ExpressionError);
    expect(error!.position).toBeTypeOf("number");
  });
});
