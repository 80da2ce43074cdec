/**
 * `$SHIMMY_HOME/config.json` and `secrets.json`: their JSON Schemas, and reading them (the folder
 * itself is `shimmyHome` of `environment.ts`).
 * Later features add their keys to {@link configFileSchema}; unknown keys are reported, not ignored.
 */
import fs from "node:fs";
import path from "node:path";
import { compileOnFirstUse } from "@shimmy/plugin-sdk";
import { Ajv, type ValidateFunction } from "ajv";
import { pointerToSegments } from "../schema/ajv-errors.js";
import { SERVE_OPTIONS, type OptionSpec } from "./options.js";
import { ConfigError } from "./config-error.js";
import { defaultPluginsConfigSchema } from "./default-plugins.js";
import { registriesConfigSchema } from "./registries-schema.js";
import { upstreamsConfigSchema, upstreamsSecretsSchema } from "./upstreams-schema.js";
import { routesConfigSchema } from "../routing/routes/route-config.js";
import { vectorStoresConfigSchema } from "../vectors/vector-stores-config.js";

function optionSchema(spec: OptionSpec): Record<string, unknown> {
  const base: Record<string, unknown> = { description: spec.description };
  switch (spec.type) {
    case "integer":
      return {
        ...base, type: "integer",
        ...(spec.minimum === undefined ? {} : { minimum: spec.minimum }),
        ...(spec.maximum === undefined ? {} : { maximum: spec.maximum }),
      };
    case "string[]":
    case "list":
      return { ...base, type: "array", items: { type: "string", minLength: 1 } };
    case "string":
      return { ...base, type: "string", minLength: 1, ...(spec.choices ? { enum: [...spec.choices] } : {}) };
    case "boolean":
      return { ...base, type: "boolean" };
    case "bytes":
      return { ...base, anyOf: [{ type: "integer", minimum: 0 }, { type: "string", pattern: "^\\d+(\\.\\d+)?\\s*[KMGTkmgt]?i?[Bb]?$" }] };
  }
}

/** The JSON Schema of `config.json`: one property per setting, named as in `ServeConfig`. */
export const configFileSchema = {
  $schema: "http://json-schema.org/draft-07/schema#",
  title: "Shimmy configuration ($SHIMMY_HOME/config.json)",
  type: "object",
  additionalProperties: false,
  properties: {
    ...Object.fromEntries(SERVE_OPTIONS.filter((spec) => !spec.secret).map((spec) => [spec.key, optionSchema(spec)])),
    aliases: {
      description: "Other names for models: alias to model id, e.g. {\"fast\": \"qwen2.5:0.5b\"}.",
      type: "object",
      additionalProperties: { type: "string", minLength: 1 },
    },
    registries: registriesConfigSchema,
    defaultPlugins: defaultPluginsConfigSchema,
    upstreams: upstreamsConfigSchema,
    routes: routesConfigSchema,
    vectorStores: vectorStoresConfigSchema,
  },
} as const;

/** The JSON Schema of `secrets.json`: the secret settings, each `writeOnly`. */
export const secretsFileSchema = {
  $schema: "http://json-schema.org/draft-07/schema#",
  title: "Shimmy secrets ($SHIMMY_HOME/secrets.json, mode 0600)",
  type: "object",
  additionalProperties: false,
  properties: {
    ...Object.fromEntries(SERVE_OPTIONS.filter((spec) => spec.secret).map((spec) => [spec.key, { ...optionSchema(spec), writeOnly: true }])),
    registries: {
      description: "Registry tokens by registry URL; set with `shimmy-plugin login`.",
      type: "object",
      additionalProperties: { type: "object", properties: { token: { type: "string", writeOnly: true } } },
    },
    upstreams: upstreamsSecretsSchema,
    plugins: {
      description: "Secret plugin settings (the writeOnly fields of a plugin's config schema), by plugin name; set with `shimmy plugin config NAME key=value`.",
      type: "object",
      additionalProperties: { type: "object", additionalProperties: { writeOnly: true } },
    },
  },
} as const;

const ajv = new Ajv({ allErrors: true, strict: false });
const configFileValidator = compileOnFirstUse(() => ajv.compile(configFileSchema));
const secretsFileValidator = compileOnFirstUse(() => ajv.compile(secretsFileSchema));
const SECRET_KEYS = new Set(SERVE_OPTIONS.filter((spec) => spec.secret).map((spec) => spec.key as string));

/**
 * Reads and validates `config.json` in `home`; a missing file is an empty configuration.
 * @throws ConfigError naming the file and every key at fault.
 */
export function readConfigFile(home: string): Record<string, unknown> {
  return readJsonFile(path.join(home, "config.json"), configFileValidator);
}

/**
 * Reads and validates `secrets.json` in `home`; a missing file holds no secrets.
 * @throws ConfigError naming the file and every key at fault.
 */
export function readSecretsFile(home: string): Record<string, unknown> {
  return readJsonFile(path.join(home, "secrets.json"), secretsFileValidator);
}

function readJsonFile(file: string, validator: () => ValidateFunction): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw new ConfigError(`${file}: cannot be read (${(err as Error).message})`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${file}: not valid JSON (${(err as Error).message}); fix or remove it`);
  }
  const validate = validator();
  if (!validate(data)) {
    const problems = (validate.errors ?? []).map((e) => {
      const where = pointerToSegments(e.instancePath).join(".");
      if (e.keyword === "additionalProperties") {
        const key = (e.params as { additionalProperty: string }).additionalProperty;
        return SECRET_KEYS.has(key) ? `"${key}" is a secret: put it in secrets.json (mode 0600) instead` : `unknown key "${key}"`;
      }
      return `${where || "the file"} ${e.message ?? "is invalid"}`;
    });
    throw new ConfigError(`${file}: ${problems.join("; ")}`);
  }
  return data as Record<string, unknown>;
}
