/**
 * The plugin of docs/guides/writing-a-plugin.md, built from docs/guides/example-plugin and called in
 * the real host against a local dictionary service: the guide's code compiles and does what it says.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { validateManifest } from "@shimmy/plugin-sdk";
import { packPlugin } from "@shimmy/plugin-sdk/pack";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PluginHost } from "../core/src/plugins/host.js";

const EXAMPLE = fileURLToPath(new URL("../docs/guides/example-plugin/", import.meta.url));
let work: string;
let server: http.Server;
let base: string;
let host: PluginHost;
const requests: { url: string; authorization?: string }[] = [];

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), "shimmy-guide-"));
  const packed = await packPlugin(EXAMPLE, { out: path.join(work, "dictionary.tgz") });
  const checked = validateManifest(JSON.parse(await readFile(path.join(EXAMPLE, "shimmy-plugin.json"), "utf8")));
  if (!checked.ok) throw new Error(JSON.stringify(checked.errors));
  server = http.createServer((req, res) => {
    requests.push({ url: req.url ?? "", ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) });
    const word = new URL(req.url ?? "/", "http://x").searchParams.get("word");
    if (word === "cat") res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ definitions: ["a small furry animal", 7, "a jazz musician", "a whip"] }));
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  host = await PluginHost.load({
    manifest: checked.manifest,
    wasm: new Uint8Array(await readFile(path.join(EXAMPLE, "plugin.wasm"))),
    config: { url: base, token: "s3cret" },
    home: work,
    serverAddresses: [],
    logger: { info: () => {}, warn: () => {}, debug: () => {} },
    poolSize: 1,
  });
  expect(packed.integrity).toMatch(/^sha512-/);
});

afterAll(async () => {
  await host?.dispose();
  await new Promise((resolve) => server?.close(resolve));
  if (work) await rm(work, { recursive: true, force: true });
});

describe("the guide's example plugin", () => {
  it("looks a word up through the configured service, with the secret token and an encoded query", async () => {
    expect(await host.callTool("define", { word: "cat", max_definitions: 2 })).toEqual({ word: "cat", definitions: ["a small furry animal", "a jazz musician"] });
    expect(await host.callTool("define", { word: "crème brûlée" })).toEqual({ word: "crème brûlée", definitions: [] });
    expect(requests.at(-1)).toEqual({ url: "/define?word=cr%C3%A8me%20br%C3%BBl%C3%A9e", authorization: "Bearer s3cret" });
  });

  it("counts words", async () => {
    expect(await host.callTool("count_words", { text: "It's a small world, isn't it?" })).toEqual({ words: 6 });
  });
});
