import { describe, expect, it } from "vitest";
import { sampleModels } from "./fake-admin-api.fixture.js";
import {
  formatBytes, formatDuration, formatElapsed, formatExpiry, formatLoadResult, formatModelsTable, formatPsTable,
} from "./format.js";
import { renderTable } from "./table.js";

const NOW = Date.parse("2025-01-01T12:00:00.000Z");

describe("formatBytes", () => {
  it.each([
    [0, "0 B"],
    [999, "999 B"],
    [1234, "1.2 KB"],
    [274_290_656, "274 MB"],
    [397_807_936, "398 MB"],
    [999_600_000, "1.0 GB"],
    [4_700_000_000, "4.7 GB"],
    [9_960_000_000, "10 GB"],
    [42_500_000_000, "43 GB"],
    [1.5e12, "1.5 TB"],
  ])("%d bytes reads %s", (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });

  it("shows a dash for an unknown size", () => {
    expect(formatBytes(null)).toBe("-");
    expect(formatBytes(Number.NaN)).toBe("-");
  });
});

describe("formatDuration", () => {
  it.each([
    [0, "0s"],
    [42_000, "42s"],
    [252_000, "4m 12s"],
    [300_000, "5m"],
    [2 * 3600_000 + 5 * 60_000 + 30_000, "2h 5m"],
    [3 * 86_400_000 + 4 * 3600_000, "3d 4h"],
    [86_400_000, "1d"],
  ])("%d ms reads %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it("formats elapsed times", () => {
    expect(formatElapsed(350)).toBe("350ms");
    expect(formatElapsed(1234)).toBe("1.2s");
  });
});

describe("formatExpiry", () => {
  it("counts down to the expiry, says never without one and now once it has passed", () => {
    expect(formatExpiry(new Date(NOW + 252_000).toISOString(), NOW)).toBe("in 4m 12s");
    expect(formatExpiry(null, NOW)).toBe("never");
    expect(formatExpiry(new Date(NOW - 1000).toISOString(), NOW)).toBe("now");
    expect(formatExpiry("soon-ish", NOW)).toBe("soon-ish");
  });
});

describe("tables", () => {
  it("aligns columns two spaces apart without trailing spaces", () => {
    expect(renderTable(["A", "LONGER"], [["xyz", "1"], ["w", ""]])).toBe("A    LONGER\nxyz  1\nw\n");
  });

  it("lists every model with size, quantization, architecture, context and status", () => {
    expect(formatModelsTable(sampleModels(NOW), NOW)).toBe(
      [
        "ID                            SIZE    QUANT   ARCH        CONTEXT  STATUS",
        "qwen2.5-0.5b-instruct:Q4_K_M  398 MB  Q4_K_M  qwen2       32768    loaded, expires in 4m 12s",
        "nomic-embed-text              274 MB  F16     nomic-bert  2048     loaded, never expires",
        "llama-3.1-8b:Q8_0             8.5 GB  Q8_0    llama       131072   available",
        "broken                        1.2 KB  -       -           -        invalid: not a GGUF file (bad magic)",
        "huge-70b:Q4_K_M               43 GB   Q4_K_M  llama       131072   available",
        "",
      ].join("\n"),
    );
    expect(formatModelsTable([], NOW)).toBe("No models found.\n");
  });

  it("ps shows only the loaded models with memory and expiry", () => {
    expect(formatPsTable(sampleModels(NOW), NOW)).toBe(
      [
        "ID                            MEMORY  EXPIRES",
        "qwen2.5-0.5b-instruct:Q4_K_M  512 MB  in 4m 12s",
        "nomic-embed-text              300 MB  never",
        "",
      ].join("\n"),
    );
    expect(formatPsTable(sampleModels(NOW).filter((m) => !m.loaded), NOW)).toBe("No models loaded.\n");
  });

  it("words a load result", () => {
    const result = { model: "m", loaded: true as const, memory_bytes: 1_300_000_000, expires_at: new Date(NOW + 300_000).toISOString(), load_ms: 1234 };
    expect(formatLoadResult(result, NOW)).toBe("Loaded m in 1.2s (memory 1.3 GB, expires in 5m)\n");
    expect(formatLoadResult({ ...result, memory_bytes: null, expires_at: null }, NOW)).toBe("Loaded m in 1.2s (never expires)\n");
  });
});
