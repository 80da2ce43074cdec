import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PluginHost } from "../../core/src/plugins/host.js";
import { readBuiltPlugin } from "../../test/helpers/packed-plugin.js";

let home: string;
let host: PluginHost;

const rules = [
  { name: "code", tag: "code", keywords: ["python", "typescript"] },
  { name: "sql", model: "big", regex: "\\bselect\\b.+\\bfrom\\b", flags: "i" },
  { name: "long", model: "big", min_tokens: 50 },
  { name: "tools", model: "gone", tools: true },
  { name: "team", model: "big", metadata: { team: "research" } },
];

beforeAll(async () => {
  const { manifest, wasm } = await readBuiltPlugin("rules-router");
  home = await mkdtemp(path.join(tmpdir(), "shimmy-rules-router-test-"));
  const logger = { info: () => {}, warn: () => {}, debug: () => {} };
  host = await PluginHost.load({ manifest, wasm, config: { rules, default: "small" }, home, serverAddresses: [], logger, poolSize: 1 });
});

afterAll(async () => {
  await host?.dispose();
  if (home) await rm(home, { recursive: true, force: true });
});

const candidates = [
  { id: "small", tags: ["fast"], available: true },
  { id: "coder", tags: ["code"], available: true },
  { id: "big", tags: [], available: true },
  { id: "gone", tags: [], available: false },
];

function ask(text: string, extra: Record<string, unknown> = {}) {
  const request = { kind: "chat", messages: [{ role: "user", text }], last_user_text: text, tokens: Math.ceil(text.length / 4), tools: false, json: false, images: false, metadata: {}, ...extra };
  return host.callRouter("rules", { route: "r", request, candidates });
}

describe("rules-router", () => {
  it("picks by keyword (whole words, any case) through a tag", async () => {
    await expect(ask("Write it in Python please")).resolves.toEqual({ model: "coder", reason: "rule code matched" });
    await expect(ask("pythonic is not a keyword")).resolves.toMatchObject({ model: "small" });
  });

  it("picks by regex, by token count and by metadata", async () => {
    await expect(ask("SELECT name FROM users")).resolves.toEqual({ model: "big", reason: "rule sql matched" });
    await expect(ask("word ".repeat(60))).resolves.toEqual({ model: "big", reason: "rule long matched" });
    await expect(ask("hi", { metadata: { team: "research" } })).resolves.toEqual({ model: "big", reason: "rule team matched" });
  });

  it("skips a rule whose model is not available, and falls to the default", async () => {
    await expect(ask("hi", { tools: true })).resolves.toEqual({ model: "small", reason: "no rule matched: default" });
  });
});
