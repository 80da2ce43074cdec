import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { waitForServer } from "./server-sync.js";

let server: http.Server | undefined;

/** A server whose `GET /api/plugins` answers `answer(poll number)`. */
async function fakeServer(answer: (poll: number) => { status: number; body: unknown }): Promise<string> {
  let polls = 0;
  server = http.createServer((_req, res) => {
    const { status, body } = answer(++polls);
    res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

const options = { apiKey: null, storeId: "s1", generation: 5, intervalMs: 5 };

describe("waitForServer", () => {
  it("polls until the server reports the generation, or a later one", async () => {
    const url = await fakeServer((poll) => ({ status: 200, body: { data: [], generation: poll < 4 ? 4 : 6, store_id: "s1" } }));
    expect(await waitForServer({ ...options, url })).toEqual({ state: "applied" });
  });

  it("has nothing to wait for when no server answers, it runs another store, or it tells no generation", async () => {
    expect(await waitForServer({ ...options, url: "http://127.0.0.1:9" })).toEqual({ state: "none" });
    const other = await fakeServer(() => ({ status: 200, body: { data: [], generation: 1, store_id: "s2" } }));
    expect(await waitForServer({ ...options, url: other })).toEqual({ state: "none" });
    await new Promise((resolve) => server?.close(resolve));
    const old = await fakeServer(() => ({ status: 200, body: { object: "list", data: [] } }));
    expect(await waitForServer({ ...options, url: old })).toEqual({ state: "none" });
  });

  it("gives up after timeoutMs, saying which generation the server still runs", async () => {
    const url = await fakeServer(() => ({ status: 200, body: { data: [], generation: 4, store_id: "s1" } }));
    const started = Date.now();
    expect(await waitForServer({ ...options, url, timeoutMs: 200 })).toEqual({ state: "behind", seen: 4 });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("reports an error answer (a refused API key)", async () => {
    const url = await fakeServer(() => ({ status: 401, body: { error: { message: "Invalid API key", type: "invalid_request_error", code: "invalid_api_key", param: null } } }));
    expect(await waitForServer({ ...options, url })).toMatchObject({ state: "failed", message: expect.stringContaining("Invalid API key") });
  });
});
