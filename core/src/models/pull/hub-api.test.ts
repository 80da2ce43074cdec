import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HubApi } from "./hub-api.js";

let server: http.Server;
let base: string;
const authorization: Array<string | undefined> = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    authorization.push(req.headers.authorization);
    // The hub redirects a renamed repository's API to its new name.
    if (req.url === "/api/models/org/old") return res.writeHead(307, { location: "/api/models/org/new" }).end();
    if (req.url === "/api/models/org/new") return res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ sha: "abc", gated: false }));
    if (req.url?.startsWith("/api/models/org/new/tree/main")) {
      const second = req.url.includes("cursor=2");
      if (!second) res.setHeader("link", '</api/models/org/new/tree/main?recursive=true&cursor=2>; rel="next"');
      return res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify([{ type: "file", path: second ? "b.gguf" : "a.gguf", size: 1 }]));
    }
    if (req.url === "/api/models/org/silent") return; // never answers
    res.writeHead(404, { "x-error-code": "RepoNotFound" }).end("{}");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe("HubApi", () => {
  it("follows a redirect with the token, and the tree's pages", async () => {
    const api = new HubApi({ endpoint: base, token: "hf_x" });
    expect(await api.modelInfo("org/old")).toEqual({ sha: "abc", gated: false });
    expect(authorization.slice(-2)).toEqual(["Bearer hf_x", "Bearer hf_x"]);
    expect((await api.tree("org/new")).map((entry) => entry.path)).toEqual(["a.gguf", "b.gguf"]);
  });

  it("says what failed: not found, no answer in time, nothing listening", async () => {
    await expect(new HubApi({ endpoint: base, token: null }).modelInfo("org/missing")).rejects.toMatchObject({ code: "repo_not_found" });
    await expect(new HubApi({ endpoint: base, token: null, timeoutMs: 200 }).modelInfo("org/silent")).rejects.toMatchObject({ code: "timeout", message: expect.stringContaining("did not answer in time") });
    const controller = new AbortController();
    const cancelled = new HubApi({ endpoint: base, token: null, signal: controller.signal }).modelInfo("org/silent");
    setTimeout(() => controller.abort(), 50);
    await expect(cancelled).rejects.toMatchObject({ code: "download_failed", message: "the pull was cancelled" });
    await expect(new HubApi({ endpoint: "http://127.0.0.1:1", token: null }).modelInfo("org/new")).rejects.toMatchObject({ code: "download_failed", message: expect.stringContaining("cannot reach http://127.0.0.1:1") });
  });
});
