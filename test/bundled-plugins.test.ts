/**
 * The plugins bundled with the core (`core/bundled-plugins/`, written by `npm run plugins:bundle`)
 * are the first-party plugins of `plugins/` as a fresh reproducible build packs them (the global
 * setup packs them once per run), and each tarball matches the integrity its index pins.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, inject, it } from "vitest";
import { BUNDLED_DIR, readBundledIndex } from "../core/src/registry/bundled-index.js";

describe("core/bundled-plugins", () => {
  it("matches a fresh reproducible build of plugins/ (else run npm run plugins:bundle)", () => {
    const index = readBundledIndex();
    const fresh = Object.fromEntries(Object.entries(inject("firstPartyPlugins")).map(([name, p]) => [name, p.ok ? `${p.version} ${p.integrity}` : `build failed: ${p.error}`]));
    const bundled = Object.fromEntries(Object.entries(index.plugins).map(([name, p]) => [name, `${p.version} ${p.integrity}`]));
    expect(bundled, "core/bundled-plugins is stale: run npm run plugins:bundle").toEqual(fresh);
  });

  it("pins each tarball by its sha512 and holds no other tarball", () => {
    const index = readBundledIndex();
    for (const [name, entry] of Object.entries(index.plugins)) {
      const bytes = fs.readFileSync(path.join(BUNDLED_DIR, entry.file));
      expect(`sha512-${createHash("sha512").update(bytes).digest("base64")}`, name).toBe(entry.integrity);
    }
    expect(fs.readdirSync(BUNDLED_DIR).filter((f) => f.endsWith(".tgz")).sort()).toEqual(Object.values(index.plugins).map((p) => p.file).sort());
  });
});
