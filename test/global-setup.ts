/**
 * Vitest global setup: writes the fixture models and packs the first-party plugins once per run, and
 * hands their paths to the test files (`inject("fixtureModels")`, `inject("firstPartyPlugins")`). The models are NOT loaded here: a malformed GGUF can abort() inside
 * llama.cpp, and this process is the test runner itself. Tests load them in child processes.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { packFirstPartyPlugins } from "../scripts/first-party-plugins.js";
import type { FixtureModels } from "./fixtures/provided.js";
import { writeBertFixture, writeChatLlamaFixture, writeFimLlamaFixture } from "./fixtures/models.js";

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = await mkdtemp(join(tmpdir(), "shimmy-fixtures-"));
  const removeDir = () => rm(dir, { recursive: true, force: true });
  try {
    const models: FixtureModels = { dir, chat: join(dir, "chat-llama.gguf"), bert: join(dir, "bert.gguf"), fim: join(dir, "fim-llama.gguf") };
    await Promise.all([writeChatLlamaFixture(models.chat), writeBertFixture(models.bert), writeFimLlamaFixture(models.fim)]);
    project.provide("fixtureModels", models);
    project.provide("firstPartyPlugins", await packFirstPartyPlugins(dir));
  } catch (error) {
    await removeDir(); // no teardown runs when setup throws
    throw error;
  }
  return removeDir;
}
