/**
 * For in-process route tests: the real app of `createApp` listening on a loopback port, with the
 * options route tests do not care about filled in, and a way to stop it.
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createApp, type AppOptions } from "../app.js";
import { createLogger } from "../logger.js";
import type { InstalledPlugins } from "../plugins/installed-plugins.js";

/** For routes that never reach the plugins: `/health`, `GET /api/plugins` and the `/v1` model lookups read these. */
export const NO_PLUGINS = { health: () => ({ ready: 0, failed: [] }), list: () => [], embedder: () => undefined, embedderModels: () => [] } as unknown as InstalledPlugins;

/** One answer of a {@link TestApp}, its body read. */
export interface TestAnswer {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON (throws when it is not). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json(): any;
}

/** A listening test app: its base URL, a request helper and how to stop it. */
export interface TestApp {
  base: string;
  /** Sends `body` (when given) as JSON to `path` and reads the whole answer. */
  request(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<TestAnswer>;
  close(): Promise<void>;
}

/**
 * Starts the app over `options.engine`; {@link NO_PLUGINS}, a silent logger and a 1 MiB body cap
 * unless given. `close()` stops the server and disposes the app (not the engine or the state).
 */
export async function startTestApp(options: Pick<AppOptions, "engine"> & Partial<AppOptions>): Promise<TestApp> {
  const app = createApp({ rediscover: async () => undefined, logger: createLogger("silent"), maxBodyBytes: 1 << 20, listenHost: "127.0.0.1", plugins: NO_PLUGINS, ...options });
  const server: Server = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    async request(method, path, body, headers = {}) {
      const init = body === undefined ? { method, headers } : { method, headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) };
      const response = await fetch(base + path, init);
      const text = await response.text();
      return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text) };
    },
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await app.dispose();
    },
  };
}
