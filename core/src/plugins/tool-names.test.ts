import { describe, expect, it } from "vitest";
import { assignFunctionNames, FUNCTION_NAME, toolFunctionName } from "./tool-names.js";

describe("toolFunctionName", () => {
  it("joins plugin and tool with __ and keeps OpenAI's character set", () => {
    expect(toolFunctionName("web-search", "search")).toBe("web-search__search");
    expect(toolFunctionName("@acme/web.search", "search")).toBe("acme_web_search__search");
    expect(FUNCTION_NAME.test(toolFunctionName("@acme/wéb search", "look-up"))).toBe(true);
  });

  it("cuts long names to 64 characters with a hash that keeps them apart", () => {
    const a = toolFunctionName("@owner/" + "x".repeat(80), "tool_a");
    const b = toolFunctionName("@owner/" + "x".repeat(80), "tool_b");
    expect(a).toHaveLength(64);
    expect(FUNCTION_NAME.test(a)).toBe(true);
    expect(a).not.toBe(b);
    expect(toolFunctionName("@owner/" + "x".repeat(80), "tool_a")).toBe(a);
  });
});

describe("assignFunctionNames", () => {
  it("gives plugins whose names differ only in unsafe characters different names, whatever the order", () => {
    const tools = [
      { plugin: "a.b", tool: "run" },
      { plugin: "a_b", tool: "run" },
      { plugin: "calc", tool: "calculate" },
    ];
    const names = assignFunctionNames(tools);
    const reversed = assignFunctionNames([...tools].reverse());
    expect(new Set(names.values()).size).toBe(3);
    expect([...names.entries()].sort()).toEqual([...reversed.entries()].sort());
    expect(names.get("calc\ncalculate")).toBe("calc__calculate");
    for (const name of names.values()) expect(FUNCTION_NAME.test(name)).toBe(true);
  });
});
