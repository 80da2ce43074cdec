/**
 * Vitest global setup: writes the fixture models, packs the first-party plugins once per run and
 * compiles the host's test plugins into their compile cache (test/helpers/first-party-packs.ts,
 * test-plugin-package.ts), and
 * hands their paths to the test files (`inject("fixtureModels")`, `inject("firstPartyPlugins")`). The models are NOT loaded here: a malformed GGUF can abort() inside
 * llama.cpp, and this process is the test runner itself. Tests load them in child processes.
 */
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import type { FixtureModels } from "./fixtures/provided.js";
import { writeBertFixture, writeChatLlamaFixture, writeFimLlamaFixture } from "./fixtures/models.js";
import { packFirstPartyPluginsOnce } from "./helpers/first-party-packs.js";
import { precompileTestPlugins } from "./helpers/test-plugin-package.js";

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = await mkdtemp(join(tmpdir(), "shimmy-fixtures-"));
  const removeDir = () => rm(dir, { recursive: true, force: true });
  try {
    const models: FixtureModels = { dir, chat: join(dir, "chat-llama.gguf"), bert: join(dir, "bert.gguf"), fim: join(dir, "fim-llama.gguf") };
    // The plugin builds are most of the setup's time: they run in child processes, side by side on
    // the two cores, and each is reused from the last run while its sources are unchanged.
    const testPlugins = join(dir, "test-plugins");
    await mkdir(testPlugins);
    const [, firstPartyPlugins] = await Promise.all([
      Promise.all([writeChatLlamaFixture(models.chat), writeBertFixture(models.bert), writeFimLlamaFixture(models.fim)]),
      packFirstPartyPluginsOnce(dir),
      precompileTestPlugins(testPlugins),
    ]);
    project.provide("fixtureModels", models);
    project.provide("firstPartyPlugins", firstPartyPlugins);
  } catch (error) {
    await removeDir(); // no teardown runs when setup throws
    throw error;
  }
  return removeDir;
}
