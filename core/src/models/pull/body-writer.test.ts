import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BodyWriter } from "./body-writer.js";
import { Sha256Worker } from "./hash-worker.js";
import { rawGet } from "./raw-get.js";
import { TEST_TLS_CERT, TEST_TLS_KEY } from "./tls-cert.fixture.js";

// Several times the ring used below, so that reads wrap around it and wait for memory to be freed.
const body = randomBytes(3_000_000);
let server: http.Server;
let base: string;
let tlsServer: https.Server;
let tlsBase: string;
let tmp: string;

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "shimmy-body-writer-"));
  const handler: http.RequestListener = (req, res) => {
    if (req.url === "/length") return res.writeHead(200, { "content-length": String(body.length) }).end(body);
    // Without a length node:http sends chunks: their data lie after size lines and are moved.
    res.writeHead(200);
    for (let at = 0; at < body.length; at += 100_000) res.write(body.subarray(at, at + 100_000));
    res.end();
  };
  server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  tlsServer = https.createServer({ key: TEST_TLS_KEY, cert: TEST_TLS_CERT }, handler);
  await new Promise<void>((resolve) => tlsServer.listen(0, "127.0.0.1", resolve));
  tlsBase = `https://localhost:${(tlsServer.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  tlsServer.closeAllConnections();
  await new Promise((resolve) => tlsServer.close(resolve));
  await fs.rm(tmp, { recursive: true, force: true });
});

/** Downloads `url` through a BodyWriter over a ring of `ringBytes`; the file's bytes and the digest. */
async function download(url: string, ringBytes: number): Promise<{ data: Buffer; digest: string; progress: number[] }> {
  const memory = new SharedArrayBuffer(ringBytes);
  const hash = new Sha256Worker(memory);
  const file = path.join(tmp, `${Math.random()}.part`);
  const handle = await fs.open(file, "w");
  const progress: number[] = [];
  try {
    const res = await rawGet(new URL(url), { headers: {}, idleTimeoutMs: 10_000, ca: TEST_TLS_CERT });
    const writer = new BodyWriter({ memory, file: handle, hash, pause: () => res.pause(), resume: () => res.resume(), onWritten: (bytes) => progress.push(bytes) });
    await res.readBody((chunk) => writer.accept(chunk), writer);
    await writer.finish(true);
    return { data: await fs.readFile(file), digest: await hash.digest(), progress };
  } finally {
    await handle.close();
    await hash.dispose();
  }
}

describe("BodyWriter", () => {
  const expected = createHash("sha256").update(body).digest("hex");

  it("writes and hashes a body read into a ring much smaller than it, in order", async () => {
    const { data, digest, progress } = await download(`${base}/length`, 256 << 10);
    expect(data.equals(body)).toBe(true);
    expect(digest).toBe(expected);
    expect(progress.at(-1)).toBe(body.length);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
  });

  it("moves a chunked body's data out of the way of its size lines", async () => {
    const { data, digest } = await download(`${base}/chunked`, 256 << 10);
    expect(data.equals(body)).toBe(true);
    expect(digest).toBe(expected);
  });

  it("over TLS, keeps the records it is handed after pausing (read into a scratch buffer, copied in later)", async () => {
    for (const what of ["length", "chunked"]) {
      const { data, digest } = await download(`${tlsBase}/${what}`, 256 << 10);
      expect(data.equals(body)).toBe(true);
      expect(digest).toBe(expected);
    }
  });

  it("reports a failed write and drops what it could not write", async () => {
    const memory = new SharedArrayBuffer(256 << 10);
    const hash = new Sha256Worker(memory);
    // Opened for reading: every write fails (EBADF), as a write to a full disk does with ENOSPC.
    const file = path.join(tmp, "read-only");
    await fs.writeFile(file, "");
    const handle = await fs.open(file, "r");
    try {
      const res = await rawGet(new URL(`${base}/length`), { headers: {}, idleTimeoutMs: 10_000 });
      const writer = new BodyWriter({ memory, file: handle, hash, pause: () => res.pause(), resume: () => res.resume() });
      await res.readBody((chunk) => {
        if (writer.failure !== null) return res.destroy();
        writer.accept(chunk);
      }, writer).catch(() => undefined);
      await expect(writer.finish(true)).rejects.toMatchObject({ code: "EBADF" });
      expect(writer.bytesWritten).toBe(0);
    } finally {
      await handle.close();
      await hash.dispose();
    }
  });
});
