/**
 * `$SHIMMY_HOME/config.json`: where it lives, its one JSON Schema, and reading it.
 * Later features add their keys to {@link configFileSchema}; unknown keys are reported, not ignored.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Ajv } from "ajv";
import { SERVE_OPTIONS, type OptionSpec } from "./options.js";
import { ConfigError } from "./config-error.js";

/** Shimmy's own folder: `$SHIMMY_HOME`, else `~/.shimmy`. */
export function shimmyHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.SHIMMY_HOME || path.join(env.HOME || os.homedir(), ".shimmy");
}

function optionSchema(spec: OptionSpec): Record<string, unknown> {
  const base: Record<string, unknown> = { description: spec.description };
  switch (spec.type) {
    case "integer":
      return { ...base, type: "integer", ...(spec.minimum === undefined ? {} : { minimum: spec.minimum }) };
    case "string[]":
      return { ...base, type: "array", items: { type: "string", minLength: 1 } };
    case "string":
      return { ...base, type: "string", minLength: 1, ...(spec.choices ? { enum: [...spec.choices] } : {}) };
  }
}

/** The JSON Schema of `config.json`: one property per setting, named as in `ServeConfig`. */
export const configFileSchema = {
  $schema: "http://json-schema.org/draft-07/schema#",
  title: "Shimmy configuration ($SHIMMY_HOME/config.json)",
  type: "object",
  additionalProperties: false,
  properties: Object.fromEntries(SERVE_OPTIONS.map((spec) => [spec.key, optionSchema(spec)])),
} as const;

const validateConfigFile = new Ajv({ allErrors: true, strict: false }).compile(configFileSchema);

/**
 * Reads and validates `config.json` in `home`; a missing file is an empty configuration.
 * @throws ConfigError naming the file and every key at fault.
 */
export function readConfigFile(home: string): Record<string, unknown> {
  const file = path.join(home, "config.json");
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
  if (!validateConfigFile(data)) {
    const problems = (validateConfigFile.errors ?? []).map((e) => {
      const where = e.instancePath.replace(/^\//, "").replace(/\//g, ".");
      if (e.keyword === "additionalProperties") {
        return `unknown key "${(e.params as { additionalProperty: string }).additionalProperty}"`;
      }
      return `${where || "the file"} ${e.message ?? "is invalid"}`;
    });
    throw new ConfigError(`${file}: ${problems.join("; ")}`);
  }
  return data as Record<string, unknown>;
}
