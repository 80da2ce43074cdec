import type { PluginManifest } from "@shimmy/plugin-sdk";
import { describe, expect, it } from "vitest";
import { capabilityLines, capabilityNames } from "./plugin-format.js";

const manifest = {
  name: "mixed",
  version: "1.0.0",
  description: "A tool and a step",
  capabilities: [
    { kind: "tool", export: "calc", name: "calculate", title: "Calculator", description: "Evaluates.", inputSchema: { type: "object" } },
    { kind: "step", export: "split", name: "split", description: "Splits text.", input: true, output: true },
    { kind: "embedder", export: "embed", name: "embed", description: "Remote vectors.", dimensions: "{config.dimensions}", maxInputTokens: 512 },
  ],
} as unknown as PluginManifest;

describe("plugin capabilities as the CLI shows them", () => {
  it("names tools and workflow steps apart", () => {
    expect(capabilityNames(manifest, "tool")).toEqual(["calculate"]);
    expect(capabilityNames(manifest, "step")).toEqual(["split"]);
    expect(capabilityNames(null, "step")).toEqual([]);
    expect(capabilityNames(manifest, "embedder")).toEqual(["embed"]);
  });

  it("lists each kind under its own heading, and no heading for a kind the plugin lacks", () => {
    expect(capabilityLines(manifest)).toEqual([
      "Tools:",
      "  calculate (Calculator): Evaluates.",
      "Workflow steps:",
      "  split: Splits text.",
      "Embedders (models on /v1/embeddings):",
      "  mixed/embed: dimensions from the dimensions setting, up to 512 tokens a text, 32 texts a call; Remote vectors.",
    ]);
    const toolsOnly = { ...manifest, capabilities: manifest.capabilities.slice(0, 1) } as PluginManifest;
    expect(capabilityLines(toolsOnly)).toEqual(["Tools:", "  calculate (Calculator): Evaluates."]);
  });
});
