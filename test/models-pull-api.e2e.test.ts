/**
 * `POST /api/models/pull` on the real server: `shimmy serve` in a child process with HF_HOME in a
 * temporary folder and HF_ENDPOINT at a fake hub on 127.0.0.1; then `shimmy rm` against it.
 */
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readSseData } from "../core/src/cli/sse.js";
import { writeTinyModel } from "../core/src/models/fake-homes.fixture.js";
import { startFakeHub, type FakeHub } from "../core/src/models/pull/fake-hub.fixture.js";
import { runShimmy } from "./helpers/shimmy-cli.js";
import { startShimmy, type ShimmyProcess } from "./helpers/shimmy-process.js";

let tmp: string;
let hub: FakeHub;
let server: ShimmyProcess;
let model: Buffer;

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "shimmy-pull-api-"));
  await writeTinyModel(path.join(tmp, "src.gguf"), { tensors: [256 * 1024] });
  model = await fs.readFile(path.join(tmp, "src.gguf"));
  hub = await startFakeHub({
    "org/tiny-GGUF": { files: { "tiny-Q4_K_M.gguf": model }, license: "apache-2.0" },
    "org/slow-GGUF": { files: { "slow-Q4_0.gguf": model }, stallAfterBytes: 300_000, stalls: 1 },
  });
  server = await startShimmy({ env: { HF_HOME: path.join(tmp, "hf"), HF_ENDPOINT: hub.url } });
});
afterAll(async () => {
  hub?.release();
  await server?.stop();
  await hub?.close();
  await fs.rm(tmp, { recursive: true, force: true });
});

const modelIds = async () => ((await (await fetch(`${server.url}/v1/models`)).json()) as { data: Array<{ id: string }> }).data.map((m) => m.id);

function pull(body: unknown, signal?: AbortSignal): Promise<Response> {
  return fetch(`${server.url}/api/models/pull`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body), signal });
}

describe("POST /api/models/pull (real server)", () => {
  it("streams the pull, and GET /v1/models lists the model right after", async () => {
    const response = await pull({ model: "hf.co/org/tiny-GGUF:Q4_K_M" });
    expect(response.status).toBe(200);
    const events: string[] = [];
    for await (const data of readSseData(response.body!)) events.push(data);
    expect(events.at(-1)).toBe("[DONE]");
    const parsed = events.slice(0, -1).map((e) => JSON.parse(e));
    expect(parsed.map((e) => e.type).filter((t, i, all) => all.indexOf(t) === i)).toEqual(["plan", "progress", "verified", "done"]);
    expect(parsed.at(-1)).toMatchObject({ type: "done", models: ["org/tiny-GGUF:Q4_K_M"], license: "apache-2.0" });
    expect(await modelIds()).toContain("org/tiny-GGUF:Q4_K_M");
  });

  it("answers 404 in the catalog's shape for a repository the hub does not have", async () => {
    const response = await pull({ model: "org/missing-GGUF" });
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: { code: "hub_repo_not_found", type: "not_found_error", param: null, message: `org/missing-GGUF was not found on ${hub.url} (if it is private, set HF_TOKEN)` } });
  });

  it("stops when the client disconnects, leaving a partial file the next pull resumes", async () => {
    const abort = new AbortController();
    const response = await pull({ model: "org/slow-GGUF" }, abort.signal);
    const events = readSseData(response.body!);
    let bytes = 0;
    for (let i = 0; i < 1000 && bytes === 0; i++) {
      const next = await events.next();
      if (next.done) break;
      const event = JSON.parse(next.value);
      if (event.type === "progress") bytes = event.bytes;
    }
    expect(bytes).toBeGreaterThan(0);
    abort.abort();
    const blobs = path.join(tmp, "hf", "hub", "models--org--slow-GGUF", "blobs");
    // The cancelled pull gives back its lock; bounded wait, never a timing assertion.
    for (let i = 0; i < 400 && (await fs.readdir(blobs)).some((name) => name.endsWith(".lock")); i++) await new Promise((r) => setTimeout(r, 25));
    const names = await fs.readdir(blobs);
    expect(names.filter((name) => name.endsWith(".lock"))).toEqual([]);
    const partial = names.find((name) => name.endsWith(".incomplete"));
    expect(partial).toBeDefined();
    const kept = (await fs.stat(path.join(blobs, partial!))).size;
    expect(kept).toBeGreaterThanOrEqual(bytes);
    expect(kept).toBeLessThan(model.length);

    const again = await pull({ model: "org/slow-GGUF", stream: false });
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ models: ["org/slow-GGUF:Q4_0"], already_present: false });
    expect(hub.ranges.at(-1)).toBe(`bytes=${kept}-`);
  });

  it("shimmy rm --url removes a pulled model and the server stops listing it", async () => {
    const env = { HOME: server.home, SHIMMY_HOME: path.join(server.home, ".shimmy"), HF_HOME: path.join(tmp, "hf") };
    const { code, stdout, stderr } = await runShimmy(["rm", "-y", "--url", server.url, "org/tiny-GGUF:Q4_K_M"], { env });
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    expect(stdout).toMatch(/^Removed org\/tiny-GGUF:Q4_K_M, /);
    expect(await modelIds()).not.toContain("org/tiny-GGUF:Q4_K_M");
  });
});
