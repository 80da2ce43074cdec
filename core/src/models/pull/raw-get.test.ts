import http from "node:http";
import net from "node:net";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rawGet } from "./raw-get.js";

const body = Buffer.alloc(300_000, 7);
body.write("start", 0);
body.write("end", body.length - 3);

let server: http.Server;
let base: string;
// Raw servers for answers node:http would not send: a body cut short, a malformed head.
let rawServer: net.Server;
let rawBase: string;
const seen: http.IncomingHttpHeaders[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    seen.push(req.headers);
    if (req.url === "/length") return res.writeHead(200, { "content-length": String(body.length), "x-twice": "a" }).end(body);
    // No Content-Length: node:http sends the body chunked.
    if (req.url === "/chunked") {
      res.writeHead(200, { "content-type": "application/octet-stream" });
      res.write(body.subarray(0, 1));
      res.write(body.subarray(1, 70_000));
      return res.end(body.subarray(70_000));
    }
    if (req.url === "/redirect") return res.writeHead(302, { location: "/length" }).end("moved");
    if (req.url === "/silent") return; // never answers
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  rawServer = net.createServer((socket) => {
    socket.once("data", (request) => {
      const path = request.toString("latin1").split(" ")[1];
      if (path === "/short") socket.end("HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc");
      else if (path === "/until-close") socket.end("HTTP/1.1 200 OK\r\n\r\nall of it");
      else if (path === "/continue") socket.end("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
      else socket.end("HTTP/1.1 2OO OK\r\n\r\n");
    });
  });
  await new Promise<void>((resolve) => rawServer.listen(0, "127.0.0.1", resolve));
  rawBase = `http://127.0.0.1:${(rawServer.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await new Promise((resolve) => rawServer.close(resolve));
});

async function read(path: string, origin = base): Promise<{ statusCode: number; headers: Record<string, string>; data: Buffer }> {
  const res = await rawGet(new URL(path, origin), { headers: { range: "bytes=0-" }, idleTimeoutMs: 5000 });
  const chunks: Buffer[] = [];
  try {
    await res.readBody((chunk) => chunks.push(chunk));
  } finally {
    res.destroy();
  }
  return { statusCode: res.statusCode, headers: res.headers, data: Buffer.concat(chunks) };
}

describe("rawGet", () => {
  it("reads a Content-Length body whole, with the status, lower-cased headers and the request's headers sent", async () => {
    const { statusCode, headers, data } = await read("/length");
    expect(statusCode).toBe(200);
    expect(headers).toMatchObject({ "content-length": "300000", "x-twice": "a" });
    expect(data.equals(body)).toBe(true);
    expect(seen.at(-1)).toMatchObject({ range: "bytes=0-", connection: "close", host: base.slice("http://".length) });
  });

  it("decodes a chunked body", async () => {
    const { headers, data } = await read("/chunked");
    expect(headers["transfer-encoding"]).toBe("chunked");
    expect(data.equals(body)).toBe(true);
  });

  it("answers a redirect with its status and Location, a body ending where its length says", async () => {
    const { statusCode, headers, data } = await read("/redirect");
    expect([statusCode, headers.location, data.toString()]).toEqual([302, "/length", "moved"]);
  });

  it("reads a body without a length to the end of the connection, and skips an interim 100", async () => {
    expect((await read("/until-close", rawBase)).data.toString()).toBe("all of it");
    expect((await read("/continue", rawBase)).data.toString()).toBe("ok");
  });

  it("fails the body when the connection closes before its length, and the head when it is malformed", async () => {
    await expect(read("/short", rawBase)).rejects.toThrow("the connection closed 7 bytes before the end of the body");
    await expect(read("/bad", rawBase)).rejects.toThrow("malformed HTTP head");
  });

  it("gives up with a TimeoutError when nothing arrives, and with an AbortError when aborted", async () => {
    await expect(rawGet(new URL("/silent", base), { headers: {}, idleTimeoutMs: 200 })).rejects.toMatchObject({ name: "TimeoutError", message: expect.stringContaining("no data from") });
    const controller = new AbortController();
    const pending = rawGet(new URL("/silent", base), { headers: {}, idleTimeoutMs: 5000, signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(pending).rejects.toMatchObject({ name: "AbortError" });
  });

  it("refuses a header value with a line break (no header injection)", async () => {
    await expect(rawGet(new URL("/length", base), { headers: { authorization: "Bearer x\r\nx-evil: 1" }, idleTimeoutMs: 5000 })).rejects.toThrow("line break");
  });
});
