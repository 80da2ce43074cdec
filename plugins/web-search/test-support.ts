/**
 * What the web-search tests share: the built plugin in the real host, and a local HTTP server on
 * 127.0.0.1 standing in for a provider, recording what it was sent.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import type { PluginManifest } from "@shimmy/plugin-sdk";
import { PluginHost } from "../../core/src/plugins/host.js";
import { readBuiltPlugin } from "../../test/helpers/packed-plugin.js";

/** One request the provider server received. */
export interface Received {
  method: string;
  path: string;
  params: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A provider server: its base URL, what it received, and how to stop it. */
export interface ProviderServer {
  base: string;
  received: Received[];
  /** The last request, or an error when there was none. */
  last(): Received;
  close(): Promise<void>;
}

/** Starts a server on 127.0.0.1 whose `handle` answers each request (its body read first). */
export async function startProvider(handle: (req: Received, res: http.ServerResponse) => void): Promise<ProviderServer> {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://x");
      const entry = { method: req.method ?? "", path: url.pathname, params: url.searchParams, headers: req.headers, body: Buffer.concat(chunks).toString("utf8") };
      received.push(entry);
      handle(entry, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    last() {
      const r = received.at(-1);
      if (!r) throw new Error("the provider server received no request");
      return r;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const logger = { info: () => {}, warn: () => {}, debug: () => {} };

/** Loads the built web-search into hosts with given configs; `dispose` closes them all. */
export function webSearchHosts() {
  const hosts: PluginHost[] = [];
  let built: { manifest: PluginManifest; wasm: Uint8Array } | undefined;
  return {
    async manifest(): Promise<PluginManifest> {
      built ??= await readBuiltPlugin("web-search");
      return built.manifest;
    },
    async load(config: Record<string, unknown>): Promise<PluginHost> {
      built ??= await readBuiltPlugin("web-search");
      const host = await PluginHost.load({ ...built, config, home: tmpdir(), serverAddresses: [{ host: "127.0.0.1", port: 1 }], logger, poolSize: 1 });
      hosts.push(host);
      return host;
    },
    dispose: () => Promise.all(hosts.map((h) => h.dispose())),
  };
}

/** The tool's answer. */
export interface SearchOutput {
  query: string;
  results: { title: string; url: string; snippet: string }[];
  answers?: string[];
}
