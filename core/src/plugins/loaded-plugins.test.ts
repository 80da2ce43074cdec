import { describe, expect, it } from "vitest";
import type { PluginHost } from "./host.js";
import { LoadedPlugins } from "./loaded-plugins.js";
import type { PluginLoad } from "./plugin-loader.js";
import { pluginsHealth, summarizePlugins } from "./plugin-summary.js";
import { testLockEntry, testManifest, testStep, testTool } from "./test-plugins.fixture.js";

const ENTRY = testLockEntry({ config: { region: "eu" } });

/** A loaded plugin whose host is a stand-in: lookup and shaping never call it. */
function loaded(name: string, tools: string[], failure: string | null = null, steps: string[] = []): PluginLoad {
  const host = { failure, embedders: [] } as unknown as PluginHost;
  const capabilities = [...tools.map((t) => testTool(t)), ...steps.map((t) => testStep(t))];
  return { state: "loaded", name, entry: ENTRY, manifest: testManifest(name, capabilities), host, secretsSet: [], missingConfig: [], fingerprint: name };
}

function snapshot(...plugins: PluginLoad[]): LoadedPlugins {
  return new LoadedPlugins(new Map(plugins.map((p) => [p.name, p])), 7);
}

const disabled: PluginLoad = { state: "disabled", name: "off", entry: { ...ENTRY, enabled: false }, manifest: testManifest("off", [testTool("search")]), secretsSet: [], missingConfig: [], fingerprint: "off" };
const unloadable: PluginLoad = { state: "unloadable", name: "broken", entry: ENTRY, manifest: null, error: "plugin.wasm was modified", secretsSet: ["token"], missingConfig: ["key"], fingerprint: "b" };

describe("LoadedPlugins.findTool", () => {
  it("finds a tool by its name, or by its function name when two plugins share the name", () => {
    const plugins = snapshot(loaded("a", ["echo"]), loaded("b", ["echo", "only-b"]), disabled);
    expect(plugins.findTool({ name: "only-b" }).plugin.name).toBe("b");
    expect(plugins.findTool({ name: "echo", plugin: "a" }).plugin.name).toBe("a");
    const named = plugins.functionName("b", "echo");
    expect(named).not.toBe("echo");
    expect(plugins.findTool({ name: named })).toMatchObject({ plugin: { name: "b" }, tool: { name: "echo" } });
  });

  it("refuses a tool two enabled plugins have, naming both, but ignores a disabled one", () => {
    const plugins = snapshot(loaded("a", ["echo"]), loaded("b", ["echo"]), disabled);
    expect(() => plugins.findTool({ name: "echo" })).toThrow(expect.objectContaining({ code: "ambiguous_tool", param: "plugin", message: expect.stringContaining("a, b") }));
    expect(snapshot(loaded("a", ["search"]), disabled).findTool({ name: "search" }).plugin.name).toBe("a");
  });

  it("answers each tool that cannot be called with its own code", () => {
    const plugins = snapshot(loaded("a", ["echo"]), loaded("dead", ["spin"], "gave up after 3 failed starts"), disabled, unloadable);
    const code = (request: { name: string; plugin?: string }) => {
      try {
        plugins.findTool(request);
        return "found";
      } catch (error) {
        return `${(error as { code: string }).code} ${(error as Error).message}`;
      }
    };
    expect(code({ name: "nope" })).toMatch(/^tool_not_found /);
    expect(code({ name: "echo", plugin: "nope" })).toMatch(/^plugin_not_found /);
    expect(code({ name: "nope", plugin: "a" })).toMatch(/^tool_not_found a has no tool named nope/);
    expect(code({ name: "search" })).toMatch(/^plugin_unavailable off is disabled; enable it with: shimmy plugin enable off/);
    expect(code({ name: "spin" })).toMatch(/^plugin_unavailable dead is marked failed: gave up after 3 failed starts/);
  });

  it("names the load error of a plugin that could not be loaded", () => {
    const withTool = { ...unloadable, manifest: testManifest("broken", [testTool("fix")]) } as PluginLoad;
    expect(() => snapshot(withTool).findTool({ name: "fix" })).toThrow(expect.objectContaining({ code: "plugin_unavailable", message: "broken could not be loaded: plugin.wasm was modified" }));
  });
});

describe("LoadedPlugins.findStep", () => {
  it("finds a step by its name, apart from the tools, and refuses one two enabled plugins have", () => {
    const plugins = snapshot(loaded("a", ["chunk"], null, ["split"]), loaded("b", [], null, ["split", "chunk"]), { ...disabled, manifest: testManifest("off", [testStep("chunk")]) });
    expect(plugins.findStep({ name: "chunk" })).toMatchObject({ plugin: { name: "b" }, step: { kind: "step", name: "chunk" } });
    expect(plugins.findStep({ name: "split", plugin: "a" }).plugin.name).toBe("a");
    expect(() => plugins.findStep({ name: "split" })).toThrow(expect.objectContaining({ code: "ambiguous_step", param: "plugin", message: expect.stringContaining("a, b") }));
    expect(() => plugins.findStep({ name: "nope" })).toThrow(expect.objectContaining({ code: "step_not_found", message: expect.stringContaining("no installed plugin has a step named nope") }));
    expect(() => plugins.findStep({ name: "chunk", plugin: "a" })).toThrow(expect.objectContaining({ code: "step_not_found", message: "a has no step named chunk" }));
    expect(() => plugins.findStep({ name: "split", plugin: "nope" })).toThrow(expect.objectContaining({ code: "plugin_not_found" }));
    expect(() => snapshot(loaded("dead", [], "gave up", ["split"])).findStep({ name: "split" })).toThrow(expect.objectContaining({ code: "plugin_unavailable", message: expect.stringContaining("dead is marked failed: gave up") }));
    // A tool of the step's name is not a step, and the other way round.
    expect(() => snapshot(loaded("a", ["chunk"])).findStep({ name: "chunk" })).toThrow(expect.objectContaining({ code: "step_not_found" }));
    expect(() => snapshot(loaded("b", [], null, ["split"])).findTool({ name: "split" })).toThrow(expect.objectContaining({ code: "tool_not_found" }));
  });
});

describe("plugin summaries and health", () => {
  it("lists every plugin sorted by name, with its status, error, tools and settings", () => {
    const plugins = snapshot(loaded("zeta", ["echo"]), unloadable, disabled, loaded("dead", [], "gave up"));
    const list = summarizePlugins(plugins);
    expect(list.map((p) => [p.name, p.status, p.error])).toEqual([
      ["broken", "error", "plugin.wasm was modified"],
      ["dead", "error", "gave up"],
      ["off", "disabled", undefined],
      ["zeta", "ready", undefined],
    ]);
    expect(list[0]).toMatchObject({ description: "", tools: [], secrets_set: ["token"], missing_config: ["key"], config: { region: "eu" } });
    expect(list[3]?.tools).toEqual([{ name: "echo", function_name: "zeta__echo", description: "echo", inputSchema: { type: "object" } }]);
    expect(list[3]?.steps).toEqual([]);
    expect(summarizePlugins(snapshot(loaded("texty", [], null, ["split"])))[0]?.steps).toEqual([{ name: "split", description: "split", input: true, output: true }]);
    expect("error" in list[3]!).toBe(false);
  });

  it("counts ready plugins and gives each enabled one that cannot run with why", () => {
    expect(pluginsHealth(snapshot(loaded("a", []), disabled, unloadable, loaded("dead", [], "gave up")))).toEqual({
      ready: 1,
      failed: [
        { name: "broken", error: "plugin.wasm was modified" },
        { name: "dead", error: "gave up" },
      ],
    });
  });
});
