import { describe, expect, it } from "vitest";
import { formatPermissions } from "../../cli/plugin-format.js";
import { FakeEngine, fakeModel } from "../../engine/fake-engine.js";
import { answerHostFunction } from "../../plugins/host-functions.js";
import { resolvePermissions, widening } from "../../plugins/store/permissions.js";
import { engineChat } from "./plugin-chat.js";

const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const decode = (bytes: Uint8Array) => JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;

describe("the models permission", () => {
  it("grants the ids a manifest names, {config.KEY} expanded, shown at install and widened by a config change", () => {
    const manifest = { permissions: { models: ["{config.model}", "fixed"] } };
    const unset = resolvePermissions(manifest, {}, "/home/u");
    expect(unset.granted.models).toEqual(["fixed"]);
    expect(unset.unset).toEqual([{ pattern: "{config.model}", keys: ["model"] }]);
    const set = resolvePermissions(manifest, { model: "tiny" }, "/home/u");
    expect(set.granted.models).toEqual(["tiny", "fixed"]);
    expect(formatPermissions(set.granted)).toContain("  model     tiny (generates with it)");
    expect(widening(unset.granted, set.granted)).toEqual(["models tiny"]);
  });
});

describe("shimmy_chat", () => {
  const engine = new FakeEngine({ models: [fakeModel("tiny"), fakeModel("big")], answer: () => ({ text: '"code"' }) });
  const grants = { net: [], fs: { home: "/", folders: [] }, serverAddresses: [], maxResponseBytes: 65536, timeoutMs: 1000, models: ["tiny"], chat: engineChat(engine) };
  const call = async (request: unknown) => decode(await answerHostFunction("shimmy_chat", encode(request), grants, new AbortController().signal));

  it("answers a permitted model's label", async () => {
    await expect(call({ model: "tiny", messages: [{ role: "user", content: "sort a list" }], max_tokens: 8, labels: ["code", "chat"] })).resolves.toEqual({ text: "code" });
  });

  it("refuses a model the plugin was not granted, and a malformed request, as errors the plugin sees", async () => {
    await expect(call({ model: "big", messages: [{ role: "user", content: "x" }] })).resolves.toMatchObject({ error: { code: "permission_denied" } });
    await expect(call({ model: "tiny", messages: [] })).resolves.toMatchObject({ error: { code: "invalid_request" } });
    await expect(call({ model: "tiny", messages: [{ role: "user", content: "x" }], labels: ["chat"] })).resolves.toMatchObject({ error: { message: expect.stringContaining("no label") } });
  });
});
