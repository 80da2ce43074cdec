import { execFileSync, spawn } from "node:child_process";
import dgram from "node:dgram";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createResolver, parseHosts } from "./dns-resolve.js";

const ROOT = path.resolve(import.meta.dirname, "../../..");

/**
 * A DNS server on 127.0.0.1 answering A and AAAA queries from `records` in the real wire format
 * (RFC 1035): NXDOMAIN for names it does not hold, an empty answer for a type it lacks.
 */
function dnsServer(records: Record<string, { a?: string[]; aaaa?: string[] }>): Promise<{ address: string; close(): void }> {
  const socket = dgram.createSocket("udp4");
  socket.on("message", (query, peer) => {
    const labels: string[] = [];
    let at = 12;
    while (query[at] !== 0 && at < query.length) {
      const length = query[at] as number;
      labels.push(query.subarray(at + 1, at + 1 + length).toString("ascii"));
      at += length + 1;
    }
    const question = query.subarray(12, at + 5);
    const type = query.readUInt16BE(at + 1);
    const record = records[labels.join(".").toLowerCase()];
    const values = !record ? [] : type === 1 ? (record.a ?? []) : type === 28 ? (record.aaaa ?? []) : [];
    const answers = values.map((value) => {
      const data = type === 1 ? Buffer.from(value.split(".").map(Number)) : ipv6Bytes(value);
      const head = Buffer.alloc(12);
      head.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question's
      head.writeUInt16BE(type, 2);
      head.writeUInt16BE(1, 4); // IN
      head.writeUInt32BE(60, 6);
      head.writeUInt16BE(data.length, 10);
      return Buffer.concat([head, data]);
    });
    const header = Buffer.alloc(12);
    query.copy(header, 0, 0, 2); // the id
    header.writeUInt16BE(record ? 0x8180 : 0x8183, 2); // a response, recursion available; NOERROR or NXDOMAIN
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answers.length, 6);
    socket.send(Buffer.concat([header, question, ...answers]), peer.port, peer.address);
  });
  return new Promise((resolve) => socket.bind(0, "127.0.0.1", () => resolve({ address: `127.0.0.1:${socket.address().port}`, close: () => socket.close() })));
}

function ipv6Bytes(address: string): Buffer {
  const [head = "", tail = ""] = address.split("::");
  const groups = (s: string) => (s === "" ? [] : s.split(":"));
  const all = [...groups(head), ...Array(8 - groups(head).length - groups(tail).length).fill("0"), ...groups(tail)];
  const bytes = Buffer.alloc(16);
  all.forEach((group, i) => bytes.writeUInt16BE(parseInt(group, 16), i * 2));
  return bytes;
}

let dns: { address: string; close(): void };
let work: string;

beforeAll(async () => {
  dns = await dnsServer({ "plugin.test": { a: ["10.1.2.3"], aaaa: ["fd00::7"] }, "v4only.test": { a: ["10.9.9.9"] } });
  work = fs.mkdtempSync(path.join(os.tmpdir(), "shimmy-dns-"));
  fs.writeFileSync(path.join(work, "hosts"), "127.0.0.1\tlocalhost # loopback\n::1 localhost ip6-localhost\n# 10.0.0.1 commented.test\n192.0.2.5 Printer.Lan printer\n");
});

afterAll(() => {
  dns?.close();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe("parseHosts", () => {
  it("maps every alias to its addresses in file order, skipping comments and junk", () => {
    const names = parseHosts("127.0.0.1 localhost\n::1 localhost\n# 1.2.3.4 no\nnot-an-ip name\n10.0.0.1 A.example a\n");
    expect(names.get("localhost")).toEqual(["127.0.0.1", "::1"]);
    expect(names.get("a.example")).toEqual(["10.0.0.1"]);
    expect(names.has("no")).toBe(false);
    expect(names.has("name")).toBe(false);
  });
});

describe("createResolver", () => {
  const resolve = () => createResolver({ servers: [dns.address], hostsFile: path.join(work, "hosts"), timeoutMs: 500 });

  it("answers IP literals as themselves and hosts-file names (any case, trailing dot) from the file", async () => {
    expect(await resolve()("10.0.0.8")).toEqual(["10.0.0.8"]);
    expect(await resolve()("localhost")).toEqual(["127.0.0.1", "::1"]);
    expect(await resolve()("PRINTER.lan.")).toEqual(["192.0.2.5"]);
  });

  it("asks DNS for A and AAAA records, IPv4 first, and fails a name DNS does not know", async () => {
    expect(await resolve()("plugin.test")).toEqual(["10.1.2.3", "fd00::7"]);
    expect(await resolve()("v4only.test")).toEqual(["10.9.9.9"]);
    await expect(resolve()("missing.test")).rejects.toMatchObject({ code: "ENOTFOUND" });
  });

  it("reads the hosts file again once it changes", async () => {
    const file = path.join(work, "hosts-changing");
    fs.writeFileSync(file, "10.0.0.1 moving.test\n");
    const lookup = createResolver({ servers: [dns.address], hostsFile: file });
    expect(await lookup("moving.test")).toEqual(["10.0.0.1"]);
    fs.writeFileSync(file, "10.0.0.2 moving.test\n");
    fs.utimesSync(file, new Date(), new Date(Date.now() + 5000));
    expect(await lookup("moving.test")).toEqual(["10.0.0.2"]);
  });

  it("resolves while libuv's only pool thread is blocked, where dns.lookup cannot", async () => {
    // The server's launcher gives the pool one thread (llama.cpp's). Here a FIFO opened with no
    // writer holds it, as a stuck getaddrinfo would.
    const fifo = path.join(work, "pipe");
    execFileSync("mkfifo", [fifo]);
    const script = path.join(work, "blocked-pool.mts");
    fs.writeFileSync(
      script,
      [
        `import fs from "node:fs";`,
        `import { lookup } from "node:dns/promises";`,
        `import { createResolver } from ${JSON.stringify(path.join(ROOT, "core/src/plugins/dns-resolve.ts"))};`,
        `fs.open(${JSON.stringify(fifo)}, "r", () => {});`,
        `const timeout = new Promise((r) => setTimeout(() => r("timed out"), 1500));`,
        `const viaPool = await Promise.race([lookup("localhost").then(() => "answered"), timeout]);`,
        `const ours = await createResolver({ servers: [${JSON.stringify(dns.address)}], hostsFile: "/nonexistent" })("plugin.test");`,
        `process.stdout.write(JSON.stringify({ viaPool, ours }) + "\\n");`,
      ].join("\n"),
    );
    const child = spawn(process.execPath, ["--import", "tsx", script], { cwd: ROOT, env: { ...process.env, UV_THREADPOOL_SIZE: "1" }, stdio: ["ignore", "pipe", "pipe"] });
    try {
      let out = "";
      let err = "";
      child.stderr.on("data", (d) => (err += d));
      const line = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no answer: ${err}`)), 30_000);
        child.once("exit", () => reject(new Error(`exited: ${err}`)));
        child.stdout.on("data", (d) => {
          out += d;
          if (out.includes("\n")) {
            clearTimeout(timer);
            resolve(out.trim());
          }
        });
      });
      expect(JSON.parse(line)).toEqual({ viaPool: "timed out", ours: ["10.1.2.3", "fd00::7"] });
    } finally {
      // The pool thread stays blocked in open(): only SIGKILL ends the child.
      child.kill("SIGKILL");
    }
  });
});
