/**
 * A plugin's settings as the user gives them (`shimmy plugin config NAME key=value…`): each value
 * read by the type its config schema declares, the result checked against that schema, and split
 * into the secret part (`writeOnly` fields, for secrets.json) and the rest (for the lock file).
 */
import type { PluginManifest } from "@shimmy/plugin-sdk";
import { secretConfigKeys } from "@shimmy/plugin-sdk";
import { ajvErrorsText } from "../../schema/ajv-errors.js";
import { compileInDialect, declaredDraft, FOREIGN_SCHEMA_OPTIONS, newAjv, withoutDialect } from "../../schema/dialect.js";
import { StoreError } from "./store-error.js";

type PropertySchema = { type?: string | string[]; items?: { type?: string } };

function declaredType(schema: PropertySchema | undefined): string | undefined {
  const type = schema?.type;
  return Array.isArray(type) ? type.find((t) => t !== "null") : type;
}

function scalar(text: string, type: string | undefined, key: string): unknown {
  switch (type) {
    case "integer":
    case "number": {
      const n = Number(text);
      if (text.trim() === "" || !Number.isFinite(n)) throw new StoreError("invalid_config", `${key} must be a number, not "${text}"`);
      return n;
    }
    case "boolean":
      if (text === "true" || text === "false") return text === "true";
      throw new StoreError("invalid_config", `${key} must be true or false, not "${text}"`);
    default:
      return text;
  }
}

function parseValue(key: string, text: string, schema: PropertySchema | undefined): unknown {
  const type = declaredType(schema);
  if (type === "array") {
    if (text.trimStart().startsWith("[")) return parseJson(key, text);
    // `origins=https://a.example,https://b.example`: a comma list of the item type.
    return text.split(",").map((item) => item.trim()).filter((item) => item !== "").map((item) => scalar(item, declaredType(schema?.items), key));
  }
  if (type === "object") return parseJson(key, text);
  return scalar(text, type, key);
}

function parseJson(key: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new StoreError("invalid_config", `${key} must be JSON here, not ${text}`);
  }
}

/** The config schema without `required`: a plugin may be configured one key at a time. */
function partialSchema(schema: Record<string, unknown>): Record<string, unknown> {
  const { required: _required, ...rest } = schema;
  return rest;
}

/** The user's settings of one plugin, split by where they are stored. */
export interface SplitConfig {
  /** For the lock file. */
  plain: Record<string, unknown>;
  /** For secrets.json. */
  secret: Record<string, unknown>;
}

/**
 * Applies `key=value` assignments (`key=` unsets) to the current settings and validates the result.
 *
 * @throws {StoreError} `invalid_config`: a malformed assignment, an unknown key (naming the known
 *   ones), a value of the wrong type, or a result the config schema refuses.
 */
export function applyConfigAssignments(manifest: Pick<PluginManifest, "name" | "config">, current: SplitConfig, assignments: string[]): SplitConfig {
  const schema = (manifest.config ?? { type: "object", properties: {} }) as Record<string, unknown>;
  const properties = (schema.properties ?? {}) as Record<string, PropertySchema>;
  const secrets = new Set(secretConfigKeys(manifest));
  const merged: Record<string, unknown> = { ...current.plain, ...current.secret };
  for (const assignment of assignments) {
    const at = assignment.indexOf("=");
    if (at <= 0) throw new StoreError("invalid_config", `"${assignment}" is not key=value`);
    const key = assignment.slice(0, at);
    const text = assignment.slice(at + 1);
    if (!(key in properties)) {
      const known = Object.keys(properties);
      throw new StoreError("invalid_config", `${manifest.name} has no setting "${key}"; ${known.length ? `its settings are: ${known.join(", ")}` : "it has no settings"}`);
    }
    if (text === "") delete merged[key];
    else merged[key] = parseValue(key, text, properties[key]);
  }
  const validate = compileInDialect(partialSchema(schema));
  if (!validate(merged)) throw new StoreError("invalid_config", `${manifest.name}'s config schema refuses it: ${ajvErrorsText(validate.errors)}`);
  return splitConfig(merged, secrets);
}

/** Splits settings into the plain and the secret (`writeOnly`) ones. */
export function splitConfig(config: Record<string, unknown>, secretKeys: Iterable<string>): SplitConfig {
  const secrets = new Set(secretKeys);
  const plain: Record<string, unknown> = {};
  const secret: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) (secrets.has(key) ? secret : plain)[key] = value;
  return { plain, secret };
}

/** Required settings that are not set yet: the plugin loads, but says so when called. */
export function missingRequiredConfig(manifest: Pick<PluginManifest, "config">, config: Record<string, unknown>): string[] {
  const required = (manifest.config as { required?: unknown } | undefined)?.required;
  return Array.isArray(required) ? required.filter((k): k is string => typeof k === "string" && (config[k] === undefined || config[k] === "")) : [];
}

type ConfigSchema = NonNullable<PluginManifest["config"]>;
const MAX_DEFAULT_PASSES = 8;
const defaultsCache = new WeakMap<ConfigSchema, (config: Record<string, unknown>) => void>();

/**
 * `config` with the `default`s of the manifest's config schema filled in where a setting is unset:
 * a property's own `default`, and defaults inside `allOf`/`if`/`then` branches, which is how a schema
 * makes one setting's default depend on another (web-search: `url` follows `provider`). Both the
 * permissions the user approves and the host's grants and plugin config are computed from this, so a
 * default origin is shown and approved like one the user typed. Never throws; `config` is not changed.
 */
export function withConfigDefaults(manifest: Pick<PluginManifest, "config">, config: Record<string, unknown>): Record<string, unknown> {
  const schema = manifest.config;
  if (!schema) return config;
  let fill = defaultsCache.get(schema);
  if (!fill) {
    try {
      // allErrors: a bad value must not stop ajv before it reaches the defaults after it; `required`
      // is left out since a missing setting is reported elsewhere (missingRequiredConfig).
      const validate = newAjv(declaredDraft(schema) ?? "draft-07", { ...FOREIGN_SCHEMA_OPTIONS, allErrors: true, useDefaults: true }).compile(partialSchema(withoutDialect(schema) as Record<string, unknown>));
      fill = (data) => void validate(data);
    } catch {
      fill = () => {}; // a schema ajv cannot compile has no defaults we could trust
    }
    defaultsCache.set(schema, fill);
  }
  const filled = structuredClone(config);
  // ajv applies `allOf` before `properties`, so a default that an `if` depends on may land after the
  // `if` was evaluated: passes repeat until nothing new is filled (each pass only adds settings).
  for (let pass = 0, before = ""; pass < MAX_DEFAULT_PASSES; pass++) {
    fill(filled);
    const after = JSON.stringify(filled);
    if (after === before) break;
    before = after;
  }
  return filled;
}
