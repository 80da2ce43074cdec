/**
 * Registry tokens in `$SHIMMY_HOME/secrets.json` (mode 0600), under `registries.URL.token`,
 * beside what the core keeps in the same file (`apiKey`, `plugins`): every write reads the file,
 * changes `registries` alone and replaces the whole file in one rename, so a crash leaves the old
 * file or the new one and no other key is lost.
 */
import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";

/** The registry the CLI talks to when neither `--registry` nor `SHIMMY_REGISTRY` names one. */
export const DEFAULT_REGISTRY = "http://127.0.0.1:4873";

/** The variables the publishing commands read. */
export type RegistryEnv = Partial<Record<"SHIMMY_HOME" | "SHIMMY_REGISTRY" | "SHIMMY_REGISTRY_TOKEN" | "HOME" | "USERPROFILE", string>>;

/** A refused credentials operation: a malformed secrets file, a registry URL that is not one. */
export class CredentialsError extends Error {
  override name = "CredentialsError";
}

/**
 * Shimmy's folder as the core finds it: `$SHIMMY_HOME` (resolved against `cwd`), else `.shimmy`
 * in `HOME`, `USERPROFILE` or the operating system's home folder.
 */
export function shimmyHome(env: RegistryEnv, cwd = process.cwd()): string {
  if (env.SHIMMY_HOME) return path.resolve(cwd, env.SHIMMY_HOME);
  return path.join(env.HOME || env.USERPROFILE || os.homedir(), ".shimmy");
}

/**
 * A registry URL in the one form tokens are stored under: `http(s)://host[:port][/path]` without a
 * trailing slash, query or fragment.
 *
 * @example normalizeRegistryUrl("http://127.0.0.1:4873/") // "http://127.0.0.1:4873"
 * @throws CredentialsError when `url` is not an http(s) URL.
 */
export function normalizeRegistryUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new CredentialsError(`the registry ${JSON.stringify(url)} is not a URL (such as ${DEFAULT_REGISTRY})`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new CredentialsError(`the registry ${url} must be an http or https URL`);
  if (parsed.username || parsed.password) throw new CredentialsError(`the registry URL must not carry credentials: use shimmy-plugin login`);
  return `${parsed.origin}${parsed.pathname.replace(/\/+$/, "")}`;
}

/** The registry of a command: `--registry`, else `SHIMMY_REGISTRY`, else {@link DEFAULT_REGISTRY}; normalized. */
export function resolveRegistry(flag: string | undefined, env: RegistryEnv): string {
  return normalizeRegistryUrl(flag || env.SHIMMY_REGISTRY || DEFAULT_REGISTRY);
}

type SecretsFile = Record<string, unknown> & { registries?: Record<string, { token?: unknown }> };

function secretsPath(home: string): string {
  return path.join(home, "secrets.json");
}

async function readSecrets(file: string): Promise<SecretsFile> {
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw new CredentialsError(`${file} cannot be read: ${(error as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new CredentialsError(`${file} is not valid JSON (${(error as Error).message}); fix it`);
  }
  if (data === null || typeof data !== "object" || Array.isArray(data)) throw new CredentialsError(`${file} must hold a JSON object`);
  const registries = (data as SecretsFile).registries;
  if (registries !== undefined && (registries === null || typeof registries !== "object" || Array.isArray(registries))) {
    throw new CredentialsError(`${file}: "registries" must be an object`);
  }
  return data as SecretsFile;
}

/** The token stored for `registry` (normalized) in `$SHIMMY_HOME/secrets.json`, if any. */
export async function readStoredToken(home: string, registry: string): Promise<string | undefined> {
  const token = (await readSecrets(secretsPath(home))).registries?.[registry]?.token;
  return typeof token === "string" && token.length > 0 ? token : undefined;
}

/**
 * Stores `token` for `registry` (normalized), keeping every other key of the file; the file is
 * written through a temporary file, flushed, set to mode 0600 and renamed over the old one.
 * Resolves to the file's path.
 */
export async function storeToken(home: string, registry: string, token: string): Promise<string> {
  const file = secretsPath(home);
  const data = await readSecrets(file);
  const next: SecretsFile = { ...data, registries: { ...data.registries, [registry]: { ...data.registries?.[registry], token } } };
  await fs.mkdir(home, { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  const handle = await fs.open(temp, "wx", 0o600);
  try {
    try {
      await handle.writeFile(JSON.stringify(next, null, 2) + "\n");
      await handle.sync();
    } finally {
      await handle.close();
    }
    // open()'s mode is masked by the umask; a secrets file is 0600 whatever it is.
    await fs.chmod(temp, 0o600);
    await fs.rename(temp, file);
  } catch (error) {
    await fs.rm(temp, { force: true });
    throw error;
  }
  return file;
}

/**
 * The token for a command: `--token`, else `SHIMMY_REGISTRY_TOKEN`, else the one
 * `shimmy-plugin login` stored for `registry`.
 */
export async function resolveToken(flag: string | undefined, env: RegistryEnv, registry: string, home = shimmyHome(env)): Promise<string | undefined> {
  return flag || env.SHIMMY_REGISTRY_TOKEN || (await readStoredToken(home, registry));
}
