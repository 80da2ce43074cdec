import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkedFetch, type CheckedFetchOptions } from "./checked-fetch.js";
import { resolveGrants } from "./net-grants.js";
import { failure } from "./failure.fixture.js";

interface Seen { method: string; url: string; host: string; body: string; auth: string | undefined }

/** A loopback server whose routes the tests set; it records every request it sees. */
async function startServer(handler: (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void) {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString();
      seen.push({ method: req.method ?? "", url: req.url ?? "", host: req.headers.host ?? "", body, auth: req.headers.authorization });
      handler(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return { server, port, seen, close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}

type Server = Awaited<ReturnType<typeof startServer>>;
let a: Server;
let b: Server;

beforeAll(async () => {
  a = await startServer((req, res, body) => {
    const u = new URL(req.url ?? "/", "http://x");
    const to = u.searchParams.get("to");
    if (u.pathname === "/redirect" && to) {
      res.writeHead(Number(u.searchParams.get("status") ?? 302), { location: to }).end("moved");
    } else if (u.pathname === "/loop") {
      res.writeHead(302, { location: "/loop" }).end();
    } else if (u.pathname === "/big-declared") {
      res.writeHead(200, { "content-length": 5000 }).end("x".repeat(5000));
    } else if (u.pathname === "/stream") {
      // Chunked and never-ending: only the streamed count can stop it.
      res.writeHead(200, { "content-type": "text/plain" });
      const timer = setInterval(() => res.write("y".repeat(512)), 1);
      res.on("close", () => clearInterval(timer));
    } else if (u.pathname === "/hang") {
      // never answers
    } else if (u.pathname === "/slow-body") {
      res.writeHead(200);
      res.write("a");
    } else {
      res.writeHead(200, { "content-type": "text/plain", "x-multi": ["1", "2"] }).end(`ok ${req.method} ${body}`);
    }
  });
  b = await startServer((_req, res) => res.end("b"));
});
afterAll(async () => {
  await a.close();
  await b.close();
});

function opts(patterns: string[], extra: Partial<CheckedFetchOptions> = {}, config: Record<string, unknown> = {}): CheckedFetchOptions {
  return { grants: resolveGrants(patterns, config), serverAddresses: [], maxResponseBytes: 1000, timeoutMs: 2000, ...extra };
}

/** A lookup that answers from a table and records its calls; unknown names fail like NXDOMAIN. */
function fakeDns(table: Record<string, string[] | string[][]>) {
  const calls: string[] = [];
  const lookup = async (host: string) => {
    const n = calls.filter((c) => c === host).length;
    calls.push(host);
    const answer = table[host];
    if (!answer) throw new Error(`ENOTFOUND ${host}`);
    // A list of lists is a sequence of answers (rebinding); the last one repeats.
    return Array.isArray(answer[0]) ? ((answer as string[][])[Math.min(n, answer.length - 1)] ?? []) : (answer as string[]);
  };
  return { calls, lookup };
}

const get = (url: string) => ({ method: "GET", url, headers: {} });

describe("checkedFetch", () => {
  it("reaches a loopback server granted by a {config.KEY} template", async () => {
    const res = await checkedFetch(get(`http://127.0.0.1:${a.port}/hello`), opts(["{config.base}"], {}, { base: `http://127.0.0.1:${a.port}` }));
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe("ok GET ");
    expect(res.headers["x-multi"]).toBe("1, 2");
  });

  it("refuses a host that is not granted, naming the origin and the grants, before any DNS", async () => {
    const dns = fakeDns({});
    const err = await failure(checkedFetch(get("https://other.invalid/"), opts(["https://api.example.com"], { lookup: dns.lookup })));
    expect(err.code).toBe("permission_denied");
    expect(err.message).toContain("https://other.invalid:443");
    expect(err.message).toContain("https://api.example.com:443");
    expect(dns.calls).toEqual([]);
  });

  it("refuses a granted host on another port", async () => {
    const before = b.seen.length;
    const err = await failure(checkedFetch(get(`http://127.0.0.1:${b.port}/`), opts([`http://127.0.0.1:${a.port}`])));
    expect(err.code).toBe("permission_denied");
    expect(b.seen.length).toBe(before);
  });

  it("refuses a redirect from a granted origin to one that is not", async () => {
    const before = b.seen.length;
    const to = encodeURIComponent(`http://127.0.0.1:${b.port}/`);
    const err = await failure(checkedFetch(get(`http://127.0.0.1:${a.port}/redirect?to=${to}`), opts([`http://127.0.0.1:${a.port}`])));
    expect(err.code).toBe("permission_denied");
    expect(err.message).toContain(`127.0.0.1:${b.port}`);
    expect(b.seen.length).toBe(before);
  });

  it("refuses a loopback address that is not granted", async () => {
    const err = await failure(checkedFetch(get(`http://127.0.0.1:${a.port}/`), opts(["https://api.example.com"])));
    expect(err.code).toBe("permission_denied");
  });

  it("refuses a name that resolves to loopback or a private range unless granted literally", async () => {
    const dns = fakeDns({ "api.invalid": ["127.0.0.1"], "lan.invalid": ["192.168.1.20"], "x.wild.invalid": ["127.0.0.1"] });
    const before = a.seen.length;
    for (const [url, grant] of [
      [`http://api.invalid:${a.port}/`, `http://api.invalid:${a.port}`],
      [`http://lan.invalid:${a.port}/`, `http://lan.invalid:${a.port}`],
      [`http://x.wild.invalid:${a.port}/`, `http://*.wild.invalid:${a.port}`],
    ] as const) {
      const err = await failure(checkedFetch(get(url), opts([grant], { lookup: dns.lookup })));
      expect(err.code).toBe("permission_denied");
      expect(err.message).toContain("private address");
    }
    expect(a.seen.length).toBe(before);
    // The same name from the user's own config counts as literal.
    const res = await checkedFetch(get(`http://api.invalid:${a.port}/`), opts(["{config.u}"], { lookup: dns.lookup }, { u: `http://api.invalid:${a.port}` }));
    expect(res.status).toBe(200);
    // An IP-literal grant reaches exactly that address, without DNS.
    const res2 = await checkedFetch(get(`http://127.0.0.1:${a.port}/`), opts([`http://127.0.0.1:${a.port}`], { lookup: dns.lookup }));
    expect(res2.status).toBe(200);
    expect(dns.calls).toEqual(["api.invalid", "lan.invalid", "x.wild.invalid", "api.invalid"]);
  });

  it("refuses an answer that mixes a public and a private address", async () => {
    const dns = fakeDns({ "mixed.invalid": ["203.0.113.9", "127.0.0.1"] });
    const err = await failure(checkedFetch(get(`http://mixed.invalid:${a.port}/`), opts([`http://mixed.invalid:${a.port}`], { lookup: dns.lookup })));
    expect(err.code).toBe("permission_denied");
  });

  it("connects to the resolved IP with the name as Host, resolving once per hop", async () => {
    // `.invalid` never resolves in real DNS: the request can only arrive if the socket went to the
    // injected answer. The rebinding sequence's later answer is never consulted.
    const dns = fakeDns({ "svc.invalid": [["127.0.0.1"], ["10.9.9.9"]] });
    const res = await checkedFetch(
      { method: "GET", url: `http://svc.invalid:${a.port}/who`, headers: { Host: "evil.example", "X-Test": "1" } },
      opts(["{config.u}"], { lookup: dns.lookup }, { u: `http://svc.invalid:${a.port}` }),
    );
    expect(res.status).toBe(200);
    expect(a.seen.at(-1)).toMatchObject({ url: "/who", host: `svc.invalid:${a.port}` });
    expect(dns.calls).toEqual(["svc.invalid"]);
  });

  it("re-checks DNS on every redirect hop (a rebinding name reached by redirect is refused)", async () => {
    const dns = fakeDns({ "rebind.invalid": ["127.0.0.1"] });
    const to = encodeURIComponent(`http://rebind.invalid:${a.port}/x`);
    const err = await failure(
      checkedFetch(
        get(`http://127.0.0.1:${a.port}/redirect?to=${to}`),
        opts([`http://127.0.0.1:${a.port}`, `http://rebind.invalid:${a.port}`], { lookup: dns.lookup }),
      ),
    );
    expect(err.code).toBe("permission_denied");
    expect(dns.calls).toEqual(["rebind.invalid"]);
  });

  it("always refuses Shimmy's own address, even when granted", async () => {
    const grant = [`http://127.0.0.1:${a.port}`];
    for (const host of ["127.0.0.1", "0.0.0.0", "::", "localhost", "::ffff:127.0.0.1"]) {
      const err = await failure(checkedFetch(get(`http://127.0.0.1:${a.port}/`), opts(grant, { serverAddresses: [{ host, port: a.port }] })));
      expect(err.code).toBe("permission_denied");
      expect(err.message).toContain("Shimmy's own server");
    }
    const dns = fakeDns({ "me.invalid": ["127.0.0.1"] });
    const viaName = await failure(
      checkedFetch(get(`http://me.invalid:${a.port}/`), opts(["{config.u}"], { lookup: dns.lookup, serverAddresses: [{ host: "127.0.0.1", port: a.port }] }, { u: `http://me.invalid:${a.port}` })),
    );
    expect(viaName.code).toBe("permission_denied");
    // Another port on the same address is not the server.
    const ok = await checkedFetch(get(`http://127.0.0.1:${a.port}/`), opts(grant, { serverAddresses: [{ host: "127.0.0.1", port: b.port }] }));
    expect(ok.status).toBe(200);
  });

  it("caps the response body, with and without Content-Length", async () => {
    const grant = [`http://127.0.0.1:${a.port}`];
    const declared = await failure(checkedFetch(get(`http://127.0.0.1:${a.port}/big-declared`), opts(grant, { maxResponseBytes: 100 })));
    expect(declared.code).toBe("response_too_large");
    const streamed = await failure(checkedFetch(get(`http://127.0.0.1:${a.port}/stream`), opts(grant, { maxResponseBytes: 4096 })));
    expect(streamed.code).toBe("response_too_large");
    const fits = await checkedFetch(get(`http://127.0.0.1:${a.port}/big-declared`), opts(grant, { maxResponseBytes: 5000 }));
    expect(fits.body.length).toBe(5000);
  });

  it("times out a server that never answers, one that stalls mid-body, and a DNS that never answers", async () => {
    const grant = [`http://127.0.0.1:${a.port}`];
    const t0 = Date.now();
    const hang = await failure(checkedFetch(get(`http://127.0.0.1:${a.port}/hang`), opts(grant, { timeoutMs: 200 })));
    expect(hang.code).toBe("timeout");
    expect(Date.now() - t0).toBeLessThan(1500);
    const slow = await failure(checkedFetch(get(`http://127.0.0.1:${a.port}/slow-body`), opts(grant, { timeoutMs: 200 })));
    expect(slow.code).toBe("timeout");
    const never = () => new Promise<string[]>(() => {});
    const dns = await failure(checkedFetch(get(`http://slow.invalid:${a.port}/`), opts([`http://slow.invalid:${a.port}`], { timeoutMs: 200, lookup: never })));
    expect(dns.code).toBe("timeout");
  });

  it("stops after maxRedirects", async () => {
    const before = a.seen.length;
    const err = await failure(checkedFetch(get(`http://127.0.0.1:${a.port}/loop`), opts([`http://127.0.0.1:${a.port}`], { maxRedirects: 3 })));
    expect(err.code).toBe("too_many_redirects");
    expect(a.seen.length - before).toBe(4);
  });

  it("turns a POST into a GET on 303 and keeps it on 307, resolving relative Locations", async () => {
    const grant = [`http://127.0.0.1:${a.port}`];
    const post = (status: number) => ({
      method: "POST",
      url: `http://127.0.0.1:${a.port}/redirect?status=${status}&to=${encodeURIComponent("/target")}`,
      headers: { "content-type": "text/plain", authorization: "Bearer k" },
      body: "payload",
    });
    const r303 = await checkedFetch(post(303), opts(grant));
    expect(r303.body.toString()).toBe("ok GET ");
    expect(a.seen.at(-1)).toMatchObject({ method: "GET", url: "/target", body: "" });
    const r307 = await checkedFetch(post(307), opts(grant));
    expect(r307.body.toString()).toBe("ok POST payload");
  });

  it("drops credentials on a cross-origin redirect and keeps them on a same-origin one", async () => {
    const grants = [`http://127.0.0.1:${a.port}`, `http://127.0.0.1:${b.port}`];
    const withAuth = (to: string) => ({ method: "GET", url: `http://127.0.0.1:${a.port}/redirect?to=${encodeURIComponent(to)}`, headers: { Authorization: "Bearer k" } });
    await checkedFetch(withAuth(`http://127.0.0.1:${b.port}/`), opts(grants));
    expect(b.seen.at(-1)?.auth).toBeUndefined();
    await checkedFetch(withAuth("/same"), opts(grants));
    expect(a.seen.at(-1)).toMatchObject({ url: "/same", auth: "Bearer k" });
  });

  it("refuses non-http schemes and malformed URLs", async () => {
    expect((await failure(checkedFetch(get("file:///etc/passwd"), opts(["https://a.example"])))).code).toBe("permission_denied");
    expect((await failure(checkedFetch(get("not a url"), opts(["https://a.example"])))).code).toBe("invalid_request");
  });
});
