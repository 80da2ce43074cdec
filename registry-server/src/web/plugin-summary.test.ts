import { LIMIT_DEFAULTS } from "@shimmy/plugin-sdk";
import { describe, expect, it } from "vitest";
import { summarizeAccess, summarizePlugin } from "./plugin-summary.js";

describe("summarizePlugin", () => {
  it("splits tools from other capabilities and fills in the default limits", () => {
    const summary = summarizePlugin({
      capabilities: [
        { kind: "tool", export: "now", name: "now", title: "Now", description: "The time", inputSchema: { type: "object" }, annotations: { readOnlyHint: true, note: "x" } },
        { kind: "embedder", export: "embed", name: "embed" },
      ],
      limits: { timeoutMs: 30000 },
      shimmy: ">=0.1.0",
    });
    expect(summary.tools).toEqual([{ name: "now", title: "Now", description: "The time", inputSchema: { type: "object" }, annotations: { readOnlyHint: true } }]);
    expect(summary.otherCapabilities).toEqual([{ kind: "embedder", name: "embed" }]);
    expect(summary.limits).toEqual({
      memoryMaxPages: { value: LIMIT_DEFAULTS.memoryMaxPages, isDefault: true },
      timeoutMs: { value: 30000, isDefault: false },
      maxResponseBytes: { value: LIMIT_DEFAULTS.maxResponseBytes, isDefault: true },
    });
    expect(summary.coreRange).toBe(">=0.1.0");
    expect(summary.access).toEqual({ net: [], fsRead: [], fsWrite: [], filesAndNetwork: false });
  });
});

describe("summarizeAccess", () => {
  it("flags files together with network, reading or writing, and nothing else", () => {
    expect(summarizeAccess({ net: ["https://a.example"] }).filesAndNetwork).toBe(false);
    expect(summarizeAccess({ fs: { read: ["~/notes"] } }).filesAndNetwork).toBe(false);
    expect(summarizeAccess({ net: ["https://a.example"], fs: { read: ["~/notes"] } }).filesAndNetwork).toBe(true);
    expect(summarizeAccess({ net: ["{config.endpoint}"], fs: { write: ["~/.cache/x"] } })).toEqual({ net: ["{config.endpoint}"], fsRead: [], fsWrite: ["~/.cache/x"], filesAndNetwork: true });
    expect(summarizeAccess(undefined)).toEqual({ net: [], fsRead: [], fsWrite: [], filesAndNetwork: false });
  });
});
