/**
 * Secret plugin settings in `$SHIMMY_HOME/secrets.json` (mode 0600), under `plugins.NAME`, beside
 * the server's own secrets (`apiKey`), which are kept as they are on every write.
 */
import fsp from "node:fs/promises";
import { writeFileAtomic } from "./atomic-file.js";
import type { StoreLayout } from "./layout.js";
import { StoreError } from "./store-error.js";

type SecretsFile = Record<string, unknown> & { plugins?: Record<string, Record<string, unknown>> };

async function readSecretsFile(layout: StoreLayout): Promise<SecretsFile> {
  let text: string;
  try {
    text = await fsp.readFile(layout.secretsFile, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw new StoreError("corrupt_store", `${layout.secretsFile} cannot be read: ${(error as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new StoreError("corrupt_store", `${layout.secretsFile} is not valid JSON (${(error as Error).message}); fix it`);
  }
  if (data === null || typeof data !== "object" || Array.isArray(data)) throw new StoreError("corrupt_store", `${layout.secretsFile} must hold a JSON object`);
  const plugins = (data as SecretsFile).plugins;
  if (plugins !== undefined && (plugins === null || typeof plugins !== "object" || Array.isArray(plugins))) {
    throw new StoreError("corrupt_store", `${layout.secretsFile}: "plugins" must be an object`);
  }
  return data as SecretsFile;
}

/** The secret settings of every plugin, by plugin name. */
export async function readPluginSecrets(layout: StoreLayout): Promise<Record<string, Record<string, unknown>>> {
  return (await readSecretsFile(layout)).plugins ?? {};
}

/** Replaces the secret settings of `name` (none: removes its entry), keeping everything else. */
export async function writePluginSecrets(layout: StoreLayout, name: string, values: Record<string, unknown>): Promise<void> {
  const data = await readSecretsFile(layout);
  const plugins = { ...(data.plugins ?? {}) };
  if (Object.keys(values).length === 0) {
    if (!(name in plugins)) return;
    delete plugins[name];
  } else {
    plugins[name] = values;
  }
  const next: SecretsFile = { ...data, plugins };
  if (Object.keys(plugins).length === 0) delete next.plugins;
  await writeFileAtomic(layout.secretsFile, JSON.stringify(next, null, 2) + "\n", 0o600);
}
