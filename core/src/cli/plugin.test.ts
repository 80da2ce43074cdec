import { LIMIT_DEFAULTS } from "@shimmy/plugin-sdk";
import { describe, expect, it } from "vitest";
import { formatLimits } from "./plugin.js";

describe("formatLimits", () => {
  it("shows each limit raised above its default, memory as the whole bound per instance", () => {
    expect(formatLimits({ memoryMaxPages: 512, timeoutMs: 30_000, maxResponseBytes: 2 * 1024 * 1024 })).toEqual([
      "It asks for more than the default limits:",
      "  memory    up to 149.1 MiB per instance, 2 instances (default 115.1 MiB): 32 MiB of wasm memory (512 pages)",
      "  time      30 s per call (default 10 s)",
      "  response  2 MiB per HTTP response, file read and call output (default 1 MiB)",
    ]);
  });

  it("says nothing for the defaults or less", () => {
    expect(formatLimits(LIMIT_DEFAULTS)).toEqual([]);
    expect(formatLimits({ memoryMaxPages: 16, timeoutMs: 1000, maxResponseBytes: 1024 })).toEqual([]);
  });
});
