import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type Router from "@koa/router";
import { describe, expect, it } from "vitest";
import { GENERATED_DOCS } from "../scripts/docs.js";
import { createApp } from "../core/src/app.js";
import { FakeEngine } from "../core/src/engine/fake-engine.js";
import { NO_PLUGINS } from "../core/src/http/test-app.fixture.js";
import { createLogger } from "../core/src/logger.js";
import { storeLayout } from "../core/src/plugins/store/layout.js";

const root = path.resolve(import.meta.dirname, "..");

describe("generated reference pages", () => {
  for (const [file, render] of Object.entries(GENERATED_DOCS)) {
    it(`${file} is current (run npm run docs)`, () => {
      expect(fs.readFileSync(path.join(root, file), "utf8")).toBe(render());
    });
  }
});

describe("docs/reference/http-api.md", () => {
  it("has a section for every /api route the app registers, and none for a route it does not", async () => {
    // Every optional router on: the plugin store turns on /api/plugins/enable and /disable.
    const app = createApp({
      engine: new FakeEngine(), rediscover: async () => undefined, logger: createLogger("silent"), maxBodyBytes: 1 << 20,
      listenHost: "127.0.0.1", plugins: NO_PLUGINS, pluginStore: storeLayout(path.join(os.tmpdir(), "shimmy-docs-routes")),
    });
    const registered = new Set<string>();
    for (const middleware of app.middleware as ({ router?: Router } & object)[]) {
      for (const layer of middleware.router?.stack ?? []) {
        const route = String(layer.path);
        if (!route.startsWith("/api/")) continue;
        // HEAD comes with every GET; `:id` is written `{id}` in the docs.
        for (const method of layer.methods.filter((m) => m !== "HEAD")) registered.add(`${method} ${route.replace(/:(\w+)/g, "{$1}")}`);
      }
    }
    await app.dispose();
    const page = fs.readFileSync(path.join(root, "docs/reference/http-api.md"), "utf8");
    const documented = new Set([...page.matchAll(/^### `([A-Z]+ \/api\S*)`$/gm)].map((m) => m[1]!));
    expect(registered.size).toBeGreaterThan(5);
    expect([...registered].filter((route) => !documented.has(route)), "routes without a section").toEqual([]);
    expect([...documented].filter((route) => !registered.has(route)), "sections without a route").toEqual([]);
  });
});
