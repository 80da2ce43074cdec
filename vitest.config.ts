import { defineConfig } from "vitest/config";
import { LongestFirstSequencer } from "./test/longest-first-sequencer.js";

// The suite runs on a 2-core machine: two test files at a time, each end-to-end file starting one
// server with one llama.cpp thread. Fixture models are written once per run by the global setup.
export default defineConfig({
  test: {
    include: ["core/src/**/*.test.ts", "plugins-sdk/src/**/*.test.ts", "test/**/*.test.ts", "plugins/*/*.test.ts", "registry-server/src/**/*.test.ts", "registry-server/test/**/*.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    pool: "forks",
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
    // Longest files first, from test/file-durations.json when a fresh clone has no results cache.
    sequence: { sequencer: LongestFirstSequencer },
  },
});
