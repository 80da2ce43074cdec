/**
 * `/v1/embeddings` and `/v1/models` with plugin embedders, in process: the real app over a
 * {@link FakeEngine} and real {@link InstalledPlugins} running `core/test-plugins/embed.ts`. The
 * model id `PLUGIN/EMBEDDER` goes to the plugin, any other to the engine.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { EmbedderCapability } from "@shimmy/plugin-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeEngine } from "../engine/fake-engine.js";
import { startTestApp, type TestApp } from "../http/test-app.fixture.js";
import { createLogger } from "../logger.js";
import { InstalledPlugins } from "../plugins/installed-plugins.js";
import { storeLayout } from "../plugins/store/layout.js";
import { compileTestPlugin, installTestPlugin, testManifest } from "../plugins/test-plugins.fixture.js";

let work: string;
let app: TestApp;
let plugins: InstalledPlugins;
const engine = new FakeEngine();

const embedder = (name: string, extra: Partial<EmbedderCapability> = {}): EmbedderCapability => ({ kind: "embedder", export: name, name, dimensions: 3, ...extra });
const CONFIG = { type: "object" as const, properties: { dims: { type: "integer" } } };

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), "shimmy-embedder-routes-"));
  const wasm = await compileTestPlugin("embed", work, "embed", 32);
  const layout = storeLayout(path.join(work, "home"), work);
  await installTestPlugin(layout, testManifest("embedtest", [embedder("embed", { maxBatchSize: 2 }), embedder("trap"), embedder("unset", { export: "embed", dimensions: "{config.dims}" })], { config: CONFIG }), wasm);
  await installTestPlugin(layout, testManifest("@acme/off", [embedder("embed")]), wasm, { enabled: false });
  plugins = new InstalledPlugins({ layout, logger: createLogger("silent"), poolSize: 1 });
  await plugins.start([{ host: "127.0.0.1", port: 1 }]);
  app = await startTestApp({ engine, plugins });
});

afterAll(async () => {
  await app?.close();
  await plugins?.dispose();
  await engine.dispose();
  await rm(work, { recursive: true, force: true });
});

const embed = (body: Record<string, unknown>) => app.request("POST", "/v1/embeddings", body);

describe("plugin embedders on /v1", () => {
  it("lists the runnable embedders as models owned by their plugin, after the local ones", async () => {
    const body = (await app.request("GET", "/v1/models")).json() as { data: { id: string; owned_by: string }[] };
    expect(body.data.map((m) => [m.id, m.owned_by])).toEqual([["fake-chat", "shimmy"], ["fake-embed", "shimmy"], ["embedtest/embed", "embedtest"], ["embedtest/trap", "embedtest"]]);
    expect((await app.request("GET", "/v1/models/embedtest/embed")).json()).toMatchObject({ id: "embedtest/embed", object: "model", owned_by: "embedtest" });
    expect((await app.request("GET", "/v1/models/embedtest/unset")).status).toBe(404);
  });

  it("embeds through the plugin in OpenAI's shape, with usage, as floats or base64", async () => {
    const { status, json } = await embed({ model: "embedtest/embed", input: ["a", "bb", "ccc"] });
    expect(status).toBe(200);
    expect(json()).toEqual({
      object: "list",
      model: "embedtest/embed",
      data: [
        { object: "embedding", index: 0, embedding: [1, 0, 0.5] },
        { object: "embedding", index: 1, embedding: [2, 1, 0.5] },
        { object: "embedding", index: 2, embedding: [3, 0, 0.5] },
      ],
      usage: { prompt_tokens: 6, total_tokens: 6 },
    });
    const base64 = (await embed({ model: "embedtest/embed", input: "abcd", encoding_format: "base64" })).json() as { data: { embedding: string }[] };
    const bytes = Buffer.from(base64.data[0]!.embedding, "base64");
    expect(Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, 3))).toEqual([4, 0, 0.5]);
  });

  it("still sends any other model id to the engine", async () => {
    const { status, json } = await embed({ model: "fake-embed", input: "hello" });
    expect(status).toBe(200);
    expect(json()).toMatchObject({ model: "fake-embed", data: [{ index: 0 }] });
    expect((await embed({ model: "embedtest/none", input: "hello" })).json()).toMatchObject({ error: { code: "model_not_found" } });
  });

  it("answers bad requests and failing embedders with clear errors", async () => {
    const tokens = await embed({ model: "embedtest/embed", input: [[1, 2, 3]] });
    expect([tokens.status, tokens.json().error]).toMatchObject([400, { code: "invalid_parameter", param: "input.0", message: expect.stringContaining("text only") }]);
    const dims = await embed({ model: "embedtest/embed", input: "x", dimensions: 8 });
    expect([dims.status, dims.json().error]).toMatchObject([400, { code: "invalid_parameter", param: "dimensions" }]);
    const trap = await embed({ model: "embedtest/trap", input: "x" });
    expect([trap.status, trap.json().error.code]).toEqual([502, "embedder_failed"]);
    const unset = await embed({ model: "embedtest/unset", input: "x" });
    expect([unset.status, unset.json().error]).toMatchObject([409, { code: "plugin_unavailable", message: expect.stringContaining("shimmy plugin config embedtest dims=") }]);
    const off = await embed({ model: "@acme/off/embed", input: "x" });
    expect([off.status, off.json().error]).toMatchObject([409, { code: "plugin_unavailable", message: expect.stringContaining("disabled") }]);
  });

  it("shows each plugin's embedders in GET /api/plugins", async () => {
    const list = (await app.request("GET", "/api/plugins")).json() as { data?: unknown[] } | unknown[];
    const all = (Array.isArray(list) ? list : (list.data ?? [])) as { name: string; embedders: unknown[] }[];
    expect(all.find((p) => p.name === "embedtest")?.embedders).toEqual([
      { name: "embed", id: "embedtest/embed", dimensions: 3, max_input_tokens: null, max_batch_size: 2 },
      { name: "trap", id: "embedtest/trap", dimensions: 3, max_input_tokens: null, max_batch_size: 32 },
      { name: "unset", id: "embedtest/unset", dimensions: null, max_input_tokens: null, max_batch_size: 32, problem: expect.stringContaining("dims") },
    ]);
  });
});
