/**
 * Validators compiled at build time with ajv's standalone code, so that a `shimmy` command does not
 * compile them at every start: the manifest's schema took ~0.3 s of CPU to compile, more than the
 * rest of a `shimmy plugin list`. The schema stays the one source of truth: the build
 * (scripts/standalone-validators.mjs) writes each validator with a key of what it was compiled from
 * (schema, ajv options, ajv version), and {@link loadStandalone} uses it only when that key still
 * matches; otherwise (sources run as they are, a build that skipped the step) the caller compiles.
 * core's build does the same for its own (core/scripts/standalone-validators.mjs).
 */
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import type { Options, ValidateFunction } from "ajv";

const requireHere = createRequire(import.meta.url);

/** What a standalone validator is compiled from, as one hash: it goes stale when any of it changes. */
export function standaloneKey(schema: unknown, options: Options): string {
  const ajvVersion = (requireHere("ajv/package.json") as { version: string }).version;
  return createHash("sha256").update(JSON.stringify({ ajv: ajvVersion, options, schema })).digest("hex");
}

/**
 * The CommonJS source of `schema`'s validator compiled with `options`, with its key: what the build
 * writes for {@link loadStandalone}. Loads ajv's code generator, so only build scripts call it.
 */
export function standaloneSource(schema: Record<string, unknown>, options: Options): string {
  const { Ajv } = requireHere("ajv") as typeof import("ajv");
  const standalone = (requireHere("ajv/dist/standalone/index.js") as typeof import("ajv/dist/standalone/index.js")).default;
  const ajv = new Ajv({ ...options, code: { ...options.code, source: true } });
  return `${standalone(ajv, ajv.compile(schema))}\nmodule.exports.key = ${JSON.stringify(standaloneKey(schema, options))};\n`;
}

/**
 * The validator the build wrote to `file` (CommonJS, its `key` beside it), when it was compiled
 * from exactly `schema` with `options`; null when there is none or it is stale.
 *
 * @example
 * const validate = loadStandalone(new URL("../dist/manifest-validator.cjs", import.meta.url), SCHEMA, OPTIONS) ?? new Ajv(OPTIONS).compile(SCHEMA);
 */
export function loadStandalone<T = unknown>(file: URL, schema: unknown, options: Options): ValidateFunction<T> | null {
  let loaded: (ValidateFunction<T> & { key?: unknown }) | undefined;
  try {
    loaded = requireHere(fileURLToPath(file)) as ValidateFunction<T> & { key?: unknown };
  } catch {
    return null; // not built
  }
  return typeof loaded === "function" && loaded.key === standaloneKey(schema, options) ? loaded : null;
}
