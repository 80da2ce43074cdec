import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RegistryClient } from "./registry-client.js";

let server: http.Server;
let url: string;
const body = Buffer.alloc(64 * 1024, 7);

beforeAll(async () => {
  server = http.createServer((req, res) => {
    if (req.url === "/whole.tgz") return res.writeHead(200, { "content-length": body.length }).end(body);
    if (req.url === "/dies.tgz") {
      res.writeHead(200, { "content-length": body.length });
      res.write(body.subarray(0, 1000), () => res.socket?.destroy());
      return;
    }
    if (req.url === "/stalls.tgz") return void res.writeHead(200, { "content-length": body.length }).write(body.subarray(0, 10));
    if (req.url === "/time") return res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ name: "evil", versions: {} }));
    res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: "not here" }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe("RegistryClient", () => {
  it("downloads a tarball and reports progress up to its announced length", async () => {
    const seen: [number, number | null][] = [];
    const bytes = await new RegistryClient({ registry: url }).tarball(`${url}/whole.tgz`, "x@1.0.0", { maxBytes: 1 << 20, onProgress: (got, total) => seen.push([got, total]) });
    expect(bytes.equals(body)).toBe(true);
    expect(seen.at(-1)).toEqual([body.length, body.length]);
  });

  it("names a registry that dies mid-download, one that stalls, and a tarball past the cap", async () => {
    const client = new RegistryClient({ registry: url, timeoutMs: 500 });
    await expect(client.tarball(`${url}/dies.tgz`, "x@1.0.0", { maxBytes: 1 << 20 })).rejects.toMatchObject({ code: "unreachable", message: expect.stringMatching(/stopped sending the tarball of x@1\.0\.0 after 1000 of 65536 bytes|closed the connection after 1000 of 65536/) });
    await expect(client.tarball(`${url}/stalls.tgz`, "x@1.0.0", { maxBytes: 1 << 20 })).rejects.toMatchObject({ code: "unreachable", message: expect.stringMatching(/sent nothing for 0.5 s/) });
    await expect(client.tarball(`${url}/whole.tgz`, "x@1.0.0", { maxBytes: 1000 })).rejects.toMatchObject({ code: "too_large" });
  });

  it("says a package is not found, an answer for another name is refused, and a dead registry is unreachable", async () => {
    await expect(new RegistryClient({ registry: url }).packument("nope")).rejects.toMatchObject({ code: "not_found", message: expect.stringContaining(`"nope" is not in the registry at ${url}`) });
    await expect(new RegistryClient({ registry: url }).packument("time")).rejects.toMatchObject({ code: "bad_response", message: expect.stringContaining('names "evil"') });
    expect(await new RegistryClient({ registry: url }).keys()).toEqual([]);
    await expect(new RegistryClient({ registry: "http://127.0.0.1:1" }).packument("time")).rejects.toMatchObject({ code: "unreachable", message: expect.stringMatching(/cannot reach the registry at http:\/\/127\.0\.0\.1:1.*--registry URL or SHIMMY_REGISTRY/) });
  });
});
