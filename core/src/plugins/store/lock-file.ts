/**
 * `$SHIMMY_HOME/plugins.lock.json`: the one list of installed plugins. Written only whole and
 * atomically (temp file, then rename), by one process at a time (see store-guard.ts); that rename
 * is the step that commits every store change (store-commit.ts). The server only reads it, and
 * watches it to pick up changes. Each write raises `generation`, which the server reports once it
 * has applied it, so the CLI can wait for a running server to catch up.
 */
import fsp from "node:fs/promises";
import type { Options } from "ajv";
import { compileOnFirstUse, loadStandalone } from "@shimmy/plugin-sdk";
import { ajvErrorsText } from "../../schema/ajv-errors.js";
import { newAjv } from "../../schema/dialect.js";
import { writeFileAtomic } from "./atomic-file.js";
import { pauseAt } from "./test-pause.js";
import type { StoreLayout } from "./layout.js";
import { StoreError } from "./store-error.js";

/** What the user allowed a plugin to reach: its permission patterns resolved with its config. */
export interface GrantedPermissions {
  /** Origins, as `scheme://host[:port]` (default ports left out), `*.` wildcards kept. */
  net: string[];
  fs: { read: string[]; write: string[] };
  /** Model ids it may generate with (`shimmy_chat`); absent in locks written before it existed. */
  models?: string[];
}

/** Where a plugin installed by name came from, so `shimmy plugin update` looks there again. */
export interface RegistryOrigin {
  /** The registry's URL, or `bundled` for the plugins that ship with the core. */
  url: string;
  /** The range updates stay within (`^1.2.0`, as npm saves one). */
  range: string;
  /** The keyid of the registry signature that was verified; absent for an unsigned registry or a bundled plugin. */
  keyid?: string;
}

/** One installed plugin. */
export interface LockedPlugin {
  version: string;
  /**
   * Its folder in `plugins/NAME/`: `VERSION-UNIQUE`, fresh for each install (layout.ts). Absent in
   * stores from before it, where the folder is `VERSION`.
   */
  dir?: string;
  /** The package tarball's sha512, as npm writes it (`sha512-…`). */
  integrity: string;
  /** Hex sha256 of `plugin.wasm`, checked before every load. */
  wasmSha256: string;
  /** Where it was installed from: the absolute path of the `.tgz` or the folder, or the tarball's URL. */
  source: string;
  /** Set when it was installed by name from a registry (or the bundled plugins); absent in older stores. */
  registry?: RegistryOrigin;
  permissions: GrantedPermissions;
  /** The user's non-secret settings; secret ones (`writeOnly`) are in secrets.json. */
  config: Record<string, unknown>;
  enabled: boolean;
  /** ISO 8601. */
  installedAt: string;
}

/** The lock file's contents. */
export interface LockFile {
  lockfileVersion: 1;
  /** Raised by one on every write; absent (0) in stores from before it. */
  generation?: number;
  plugins: Record<string, LockedPlugin>;
}

const STRINGS = { type: "array", items: { type: "string" } } as const;

/** The JSON Schema of `plugins.lock.json`. */
export const lockFileSchema = {
  $schema: "http://json-schema.org/draft-07/schema#",
  title: "Shimmy installed plugins ($SHIMMY_HOME/plugins.lock.json)",
  type: "object",
  required: ["lockfileVersion", "plugins"],
  additionalProperties: false,
  properties: {
    lockfileVersion: { const: 1 },
    generation: { type: "integer", minimum: 0 },
    plugins: {
      type: "object",
      additionalProperties: {
        type: "object",
        required: ["version", "integrity", "wasmSha256", "source", "permissions", "config", "enabled", "installedAt"],
        additionalProperties: false,
        properties: {
          version: { type: "string", minLength: 1 },
          // One folder name, never a path: a hand-edited lock cannot point a plugin elsewhere.
          dir: { type: "string", pattern: "^(?!\\.\\.?$)[^/\\\\]+$" },
          integrity: { type: "string", pattern: "^sha512-[A-Za-z0-9+/]+={0,2}$" },
          wasmSha256: { type: "string", pattern: "^[0-9a-f]{64}$" },
          source: { type: "string" },
          registry: {
            type: "object",
            required: ["url", "range"],
            additionalProperties: false,
            properties: { url: { type: "string", minLength: 1 }, range: { type: "string", minLength: 1 }, keyid: { type: "string" } },
          },
          permissions: {
            type: "object",
            required: ["net", "fs"],
            additionalProperties: false,
            properties: {
              net: STRINGS,
              fs: { type: "object", required: ["read", "write"], additionalProperties: false, properties: { read: STRINGS, write: STRINGS } },
              models: STRINGS,
            },
          },
          config: { type: "object" },
          enabled: { type: "boolean" },
          installedAt: { type: "string" },
        },
      },
    },
  },
} as const;

// Every fault at once: the message is for someone mending the file by hand.
const LOCK_AJV_OPTIONS: Options = { allErrors: true, strict: false };
/**
 * The lock file's validator as the build compiles it (core/scripts/standalone-validators.mjs): every
 * store command reads the lock, and compiling its schema (ajv's meta-schema with it) was a good part
 * of a `shimmy plugin` command's start. `file` is the same path from src/ and dist/.
 */
export const LOCK_VALIDATOR = {
  file: new URL("../../../dist/plugins/store/lock-validator.cjs", import.meta.url),
  schema: lockFileSchema as Record<string, unknown>,
  options: LOCK_AJV_OPTIONS,
};
const lockValidator = compileOnFirstUse(
  () => loadStandalone<LockFile>(LOCK_VALIDATOR.file, lockFileSchema, LOCK_AJV_OPTIONS) ?? newAjv("draft-07", LOCK_AJV_OPTIONS).compile<LockFile>(lockFileSchema),
);

/** An empty lock: nothing installed. */
export function emptyLock(): LockFile {
  return { lockfileVersion: 1, plugins: {} };
}

/**
 * Reads the lock file; a missing file is an empty store.
 *
 * @throws {StoreError} `corrupt_store` naming the file and what is wrong with it.
 */
export async function readLock(layout: StoreLayout): Promise<LockFile> {
  let text: string;
  try {
    text = await fsp.readFile(layout.lockFile, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return emptyLock();
    throw new StoreError("corrupt_store", `${layout.lockFile} cannot be read: ${(error as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new StoreError("corrupt_store", `${layout.lockFile} is not valid JSON (${(error as Error).message}); restore it or remove it and reinstall the plugins`);
  }
  const validateLock = lockValidator();
  if (!validateLock(data)) {
    throw new StoreError("corrupt_store", `${layout.lockFile} is not a valid lock file: ${ajvErrorsText(validateLock.errors)}`);
  }
  return data;
}

/** The generation of `lock`: 0 for a store from before generations. */
export function lockGeneration(lock: LockFile): number {
  return lock.generation ?? 0;
}

/**
 * Writes the lock file atomically, plugins sorted by name so diffs stay small, one generation past
 * `lock`'s (the lock the caller read under the store guard); resolves to the new generation.
 */
export async function writeLock(layout: StoreLayout, lock: LockFile): Promise<number> {
  const plugins = Object.fromEntries(Object.entries(lock.plugins).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const generation = lockGeneration(lock) + 1;
  await writeFileAtomic(layout.lockFile, JSON.stringify({ lockfileVersion: 1, generation, plugins }, null, 2) + "\n", 0o644, () => pauseAt("lock:temp-written"));
  return generation;
}
