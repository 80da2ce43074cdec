import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeEngine, fakeModel } from "../../core/src/engine/fake-engine.js";
import type { ChatRequest } from "../../core/src/engine/types.js";
import { PluginHost } from "../../core/src/plugins/host.js";
import { engineChat } from "../../core/src/routing/routes/plugin-chat.js";
import { readBuiltPlugin } from "../../test/helpers/packed-plugin.js";

let home: string;
let host: PluginHost;
const asked: ChatRequest[] = [];

beforeAll(async () => {
  const { manifest, wasm } = await readBuiltPlugin("classify-router");
  home = await mkdtemp(path.join(tmpdir(), "shimmy-classify-router-test-"));
  const logger = { info: () => {}, warn: () => {}, debug: () => {} };
  // The labeller answers "code" when the query says so, else "chat" (the grammar's JSON string).
  const engine = new FakeEngine({
    models: [fakeModel("tiny")],
    answer: (request) => {
      asked.push(request as ChatRequest);
      return { text: JSON.stringify(/function/.test((request as ChatRequest).turns.at(-1)?.text ?? "") ? "code" : "chat") };
    },
  });
  const config = { model: "tiny", labels: ["code", "chat"], routes: { code: "tag:code", chat: "small" } };
  host = await PluginHost.load({ manifest, wasm, config, home, serverAddresses: [], logger, poolSize: 1, chat: engineChat(engine) });
});

afterAll(async () => {
  await host?.dispose();
  if (home) await rm(home, { recursive: true, force: true });
});

const candidates = [
  { id: "small", tags: [], available: true },
  { id: "coder", tags: ["code"], available: true },
];
const ask = (text: string) => host.callRouter("classify", { route: "r", request: { kind: "chat", messages: [{ role: "user", text }], last_user_text: text, tokens: 3, tools: false, json: false, images: false, metadata: {} }, candidates });

describe("classify-router", () => {
  it("labels the query with its model, the label forced by a grammar, and maps the label to a candidate", async () => {
    await expect(ask("write a function")).resolves.toEqual({ model: "coder", reason: "labelled code by tiny" });
    await expect(ask("hello")).resolves.toEqual({ model: "small", reason: "labelled chat by tiny" });
    expect(asked.at(-1)).toMatchObject({ model: "tiny", responseFormat: { type: "json_schema", schema: { enum: ["code", "chat"] } } });
    expect(asked.at(-1)?.turns[0]).toMatchObject({ role: "system", text: "Classify the user's message. Answer with one label: code, chat." });
  });
});
