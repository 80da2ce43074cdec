/**
 * The embedder capability in the real host, over `core/test-plugins/embed.ts` compiled to wasm:
 * batching, and every check of the contract (one vector per text, exactly `dimensions` finite
 * numbers each), with the catalog error a client sees for each failure.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { EmbedderCapability } from "@shimmy/plugin-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ShimmyError } from "../errors.js";
import { PluginHost } from "./host.js";
import { compileTestPlugin, testManifest } from "./test-plugins.fixture.js";
import { embedderCallError } from "./tool-call-error.js";

let work: string;
let wasm: Uint8Array;
const hosts: PluginHost[] = [];
const lines: Record<string, unknown>[] = [];
const logger = { info: (obj: object) => void lines.push(obj as Record<string, unknown>), warn: () => {}, debug: () => {} };

const embedder = (name: string, extra: Partial<EmbedderCapability> = {}): EmbedderCapability => ({ kind: "embedder", export: name, name, dimensions: 3, ...extra });
const CAPABILITIES = [embedder("embed", { maxBatchSize: 2, maxInputTokens: 512 }), ...["wrongdims", "nan", "infinite", "fewer", "trap"].map((n) => embedder(n))];

async function load(name: string, config: Record<string, unknown> = {}, capabilities = CAPABILITIES, extra = {}): Promise<PluginHost> {
  const host = await PluginHost.load({ manifest: testManifest(name, capabilities, extra), wasm, config, home: work, serverAddresses: [], logger, poolSize: 1 });
  hosts.push(host);
  return host;
}

/** The catalog error a client would get for this call's failure. */
async function clientError(call: Promise<unknown>, name: string): Promise<ShimmyError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => embedderCallError(e, "embedtest", name),
  );
  expect(error).toBeInstanceOf(ShimmyError);
  return error as ShimmyError;
}

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), "shimmy-embedder-host-"));
  wasm = await compileTestPlugin("embed", work, "embed", 32);
});

afterAll(async () => {
  await Promise.all(hosts.map((h) => h.dispose()));
  await rm(work, { recursive: true, force: true });
});

describe("PluginHost.callEmbedder", () => {
  it("embeds in calls of at most maxBatchSize texts, keeping the order, and sums the usage", async () => {
    const host = await load("embedtest");
    const texts = ["a", "bb", "ccc", "dddd", "eeeee"];
    const { vectors, promptTokens } = await host.callEmbedder("embed", texts, { requestId: "req_embed" });
    // [length, place within its call, 0.5]: calls of 2, 2 and 1 texts.
    expect(vectors.map((v) => Array.from(v))).toEqual([[1, 0, 0.5], [2, 1, 0.5], [3, 0, 0.5], [4, 1, 0.5], [5, 0, 0.5]]);
    expect(vectors[0]).toBeInstanceOf(Float32Array);
    expect(promptTokens).toBe(10);
    const calls = lines.filter((l) => l.plugin === "embedtest" && l.embedder === "embed" && l.requestId === "req_embed");
    expect(calls.map((l) => l.outcome)).toEqual(["ok", "ok", "ok"]);
    expect(host.embedders[0]).toMatchObject({ name: "embed", dimensions: 3, maxInputTokens: 512, maxBatchSize: 2 });
  });

  it("refuses vectors of the wrong length, NaN, Infinity and a wrong vector count, as embedder_failed", async () => {
    const host = await load("embedbad");
    const cases: [string, RegExp][] = [
      ["wrongdims", /does not match its embedder output.*must NOT have fewer than 3 items/],
      ["nan", /not UTF-8 JSON/],
      ["infinite", /number 1 is Infinity; every number must be finite/],
      ["fewer", /returned 1 vectors for 2 texts/],
    ];
    for (const [name, message] of cases) {
      await expect(host.callEmbedder(name, ["x", "y"].slice(0, name === "fewer" ? 2 : 1)), name).rejects.toMatchObject({ code: "invalid_output", message: expect.stringMatching(message) });
      const error = await clientError(host.callEmbedder(name, name === "fewer" ? ["x", "y"] : ["x"]), name);
      expect(error).toMatchObject({ code: "embedder_failed", status: 502 });
    }
    expect(lines.filter((l) => l.plugin === "embedbad" && l.embedder === "infinite").map((l) => l.outcome)).toContain("invalid_output");
  });

  it("answers a trap as embedder_failed for that call only", async () => {
    const host = await load("embedtrap");
    await expect(host.callEmbedder("trap", ["x"])).rejects.toMatchObject({ code: "plugin_error" });
    expect((await clientError(host.callEmbedder("trap", ["x"]), "trap")).code).toBe("embedder_failed");
    await expect(host.callEmbedder("embed", ["abc"])).resolves.toMatchObject({ promptTokens: 2 });
  });

  it("refuses an unknown embedder, no texts, and texts past the byte cap", async () => {
    const host = await load("embedinput");
    await expect(host.callEmbedder("nope", ["x"])).rejects.toMatchObject({ code: "unknown_embedder" });
    expect((await clientError(host.callEmbedder("nope", ["x"]), "nope")).code).toBe("model_not_found");
    await expect(host.callEmbedder("embed", [])).rejects.toMatchObject({ code: "invalid_input" });
    const error = await clientError(host.callEmbedder("embed", ["x".repeat(70 * 1024)]), "embed");
    expect(error).toMatchObject({ code: "invalid_parameter", status: 400 });
  });

  it("reads dimensions from a {config.KEY} setting, and says which setting to set while it is unset", async () => {
    const capabilities = [embedder("embed", { dimensions: "{config.dims}", maxInputTokens: "{config.tokens}" })];
    const config = { type: "object" as const, properties: { dims: { type: "integer" }, tokens: { type: "integer", default: 8192 } } };
    const set = await load("embedset", { dims: 3 }, capabilities, { config });
    expect(set.embedders[0]).toMatchObject({ dimensions: 3, maxInputTokens: 8192, maxBatchSize: 32 });
    await expect(set.callEmbedder("embed", ["ab"])).resolves.toMatchObject({ promptTokens: 2 });

    const wrong = await load("embedwrong", { dims: 4 }, capabilities, { config });
    await expect(wrong.callEmbedder("embed", ["ab"])).rejects.toMatchObject({ code: "invalid_output", message: expect.stringMatching(/fewer than 4 items/) });

    const unset = await load("embedunset", {}, capabilities, { config });
    expect(unset.embedders[0]).toMatchObject({ dimensions: null, problem: expect.stringContaining("shimmy plugin config embedunset dims=") });
    await expect(unset.callEmbedder("embed", ["ab"])).rejects.toMatchObject({ code: "not_configured" });
    expect((await clientError(unset.callEmbedder("embed", ["ab"]), "embed")).code).toBe("plugin_unavailable");
  });
});
