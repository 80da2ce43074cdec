/**
 * `shimmy vectors` against a real in-process server (fake engine: its embeddings depend only on
 * the text): create, add with progress, list and search, text and --json.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeEngine } from "../engine/fake-engine.js";
import { startTestApp, type TestApp } from "../http/test-app.fixture.js";
import { vectorsCommand } from "./vectors.js";

let app: TestApp;
let dir: string;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "shimmy-vectors-cli-"));
  app = await startTestApp({ engine: new FakeEngine({ dimensions: 32 }), vectorStores: { home: dir, maxFileBytes: 1 << 20, embeddingModel: null } });
});
afterAll(async () => {
  await app.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function run(...argv: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await vectorsCommand([...argv, "--url", app.base], {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t), isTTY: false },
    env: {},
  });
  return { code, stdout, stderr };
}

describe("shimmy vectors", () => {
  it("creates a store, adds files with progress, lists and searches it", async () => {
    const created = await run("create", "notes", "--json");
    expect(created.code).toBe(0);
    const store = JSON.parse(created.stdout);
    expect(store).toMatchObject({ object: "vector_store", name: "notes", embedding_model: "fake-embed" });
    const a = path.join(dir, "a.md");
    const b = path.join(dir, "b.txt");
    fs.writeFileSync(a, "Tide tables predict the harbour's high water.");
    fs.writeFileSync(b, "Kettles boil water for tea.");
    const added = await run("add", store.id, a, b);
    expect(added).toMatchObject({ code: 0, stdout: `2 of 2 file(s) added to ${store.id}\n` });
    expect(added.stderr).toContain("100%");
    const list = await run("list");
    expect(list.stdout).toMatch(new RegExp(`${store.id}\\s+notes\\s+2\\s+completed\\s+fake-embed`));
    const found = await run("search", store.id, "Kettles boil water for tea.", "--json");
    expect(JSON.parse(found.stdout).data[0]).toMatchObject({ filename: "b.txt", content: [{ text: "Kettles boil water for tea." }] });
    const text = await run("search", store.id, "harbour", "--ranker", "keyword");
    expect(text.stdout).toMatch(/^\d\.\d{3} {2}a\.md\n {4}Tide tables/);
  });

  it("reports a failed file and an unknown store, and usage mistakes", async () => {
    const store = JSON.parse((await run("create", "x", "--json")).stdout);
    const bad = path.join(dir, "tool.exe");
    fs.writeFileSync(bad, "MZ");
    const refused = await run("add", store.id, bad);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("cannot be searched");
    expect((await run("search", "vs_nope", "x")).stderr).toContain("No vector store with id 'vs_nope'");
    expect((await run("frobnicate")).code).toBe(2);
  });
});
