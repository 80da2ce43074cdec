/**
 * A man in the middle between `shimmy plugin` and a real registry, for the attacks of
 * plugin-add.e2e.test.ts: it passes everything through, or tampers with what it passes as `mode`
 * says (a tarball's bytes, a packument's signed integrity, the registry's key and signatures), or
 * dies in the middle of a tarball. Also a bare npm registry that serves one package, unsigned.
 */
import { generateKeyPairSync, createHash, sign } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";

/** What the proxy does to the answers it passes on. */
export type ProxyMode = "pass" | "tamper-tarball" | "tamper-packument" | "new-key" | "die-mid-download";

/** A running proxy. */
export interface RegistryProxy {
  url: string;
  mode: ProxyMode;
  close(): Promise<void>;
}

function listen(server: http.Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

function close(server: http.Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** Proxies `target`; the registry's URLs in its JSON answers are rewritten to point back at the proxy. */
export async function startRegistryProxy(target: string): Promise<RegistryProxy> {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const der = publicKey.export({ type: "spki", format: "der" });
  const attackerKey = { expires: null, keyid: `SHA256:${createHash("sha256").update(der).digest("base64")}`, keytype: "ecdsa-sha2-nistp256", scheme: "ecdsa-sha2-nistp256", key: der.toString("base64") };
  const proxy: RegistryProxy = { url: "", mode: "pass", close: () => close(server) };
  const server = http.createServer(async (req, res) => {
    const answer = await fetch(`${target}${req.url}`, { headers: { accept: req.headers.accept ?? "*/*" } });
    let body = Buffer.from(await answer.arrayBuffer());
    const type = answer.headers.get("content-type") ?? "application/octet-stream";
    if (type.includes("json")) body = Buffer.from(body.toString().replaceAll(target, proxy.url));
    const isTarball = req.url?.endsWith(".tgz") ?? false;
    if (isTarball && proxy.mode === "tamper-tarball") body[body.length - 30] = (body[body.length - 30] ?? 0) ^ 0xff;
    if (isTarball && proxy.mode === "die-mid-download") {
      res.writeHead(200, { "content-type": type, "content-length": body.length });
      res.write(body.subarray(0, body.length >> 1), () => res.socket?.destroy());
      return;
    }
    if (req.url === "/-/npm/v1/keys" && proxy.mode === "new-key") body = Buffer.from(JSON.stringify({ keys: [attackerKey] }));
    if (!isTarball && answer.ok && type.includes("json") && (proxy.mode === "tamper-packument" || proxy.mode === "new-key")) {
      const doc = JSON.parse(body.toString());
      for (const version of Object.values<any>(doc.versions ?? {})) {
        if (proxy.mode === "tamper-packument") version.dist.integrity = `sha512-${createHash("sha512").update("another tarball").digest("base64")}`;
        else version.dist.signatures = [{ keyid: attackerKey.keyid, sig: sign("sha256", Buffer.from(`${version.name}@${version.version}:${version.dist.integrity}`), privateKey).toString("base64") }];
      }
      body = Buffer.from(JSON.stringify(doc));
    }
    res.writeHead(answer.status, { "content-type": type, "content-length": body.length }).end(body);
  });
  proxy.url = await listen(server);
  return proxy;
}

/** A bare npm registry serving one unsigned package: `name@version` with `tarball`, and no signing keys. */
export async function startBareRegistry(name: string, version: string, tarball: Buffer, integrity: string): Promise<{ url: string; close(): Promise<void> }> {
  let url = "";
  const file = `/${name}/-/${name.split("/").pop()}-${version}.tgz`;
  const server = http.createServer((req, res) => {
    if (req.url === `/${name.replace("/", "%2f")}` || req.url === `/${name}`) {
      const doc = { name, "dist-tags": { latest: version }, versions: { [version]: { name, version, description: "an npm package", dist: { tarball: `${url}${file}`, integrity } } } };
      return res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(doc));
    }
    if (req.url === file) return res.writeHead(200, { "content-type": "application/octet-stream" }).end(tarball);
    res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: "Not found" }));
  });
  url = await listen(server);
  return { url, close: () => close(server) };
}
