/**
 * Resolves `shimmy serve`'s settings from flags, then `SHIMMY_*` variables, then
 * `$SHIMMY_HOME/config.json`, then the defaults, in that order of precedence.
 */
import path from "node:path";
import { parseArgs } from "node:util";
import { ConfigError } from "./config-error.js";
import { readConfigFile, readSecretsFile, shimmyHome } from "./config-file.js";
import { SERVE_OPTIONS, defaultServeConfig, type OptionSpec, type ServeConfig } from "./options.js";

/** Where settings come from; tests pass their own. */
export interface LoadConfigOptions {
  argv: string[];
  env?: NodeJS.ProcessEnv;
}

/** The outcome: settings to serve with, or a request for help. */
export type LoadedConfig = { help: true } | { help: false; config: ServeConfig; home: string };

function parseValue(spec: OptionSpec, raw: string, source: string): string | number {
  if (spec.type === "integer") {
    if (!/^\d+$/.test(raw.trim())) throw new ConfigError(`${source} must be a whole number, got "${raw}"`);
    const value = Number(raw);
    if (spec.minimum !== undefined && value < spec.minimum) {
      throw new ConfigError(`${source} must be at least ${spec.minimum}, got ${value}`);
    }
    return value;
  }
  if (spec.choices && !spec.choices.includes(raw)) {
    throw new ConfigError(`${source} must be one of ${spec.choices.join(", ")}, got "${raw}"`);
  }
  if (raw === "") throw new ConfigError(`${source} must not be empty`);
  return raw;
}

/** The values of a repeatable setting: a `list` also splits on commas; blanks are dropped. */
function splitValues(spec: OptionSpec, values: string[]): string[] {
  const parts = spec.type === "list" ? values.flatMap((v) => v.split(",")) : values;
  return parts.map((v) => v.trim()).filter(Boolean);
}

/**
 * Reads every source and returns the resolved settings.
 * @throws ConfigError with a message that names the flag, variable or file key at fault.
 */
export function loadServeConfig({ argv, env = process.env }: LoadConfigOptions): LoadedConfig {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        help: { type: "boolean", short: "h" },
        ...Object.fromEntries(
          SERVE_OPTIONS.map((spec) => [spec.flag, { type: "string" as const, multiple: spec.type === "string[]" || spec.type === "list" }]),
        ),
      },
    });
  } catch (err) {
    throw new ConfigError(`${(err as Error).message}; see shimmy serve --help`);
  }
  if (parsed.values.help) return { help: true };

  const home = shimmyHome(env);
  const file = { ...readConfigFile(home), ...readSecretsFile(home) };
  const config = defaultServeConfig() as unknown as Record<string, unknown>;
  for (const spec of SERVE_OPTIONS) {
    const flagValue = (parsed.values as Record<string, string | string[] | boolean | undefined>)[spec.flag] as
      | string
      | string[]
      | undefined;
    const envValue = env[spec.env];
    if (flagValue !== undefined) {
      config[spec.key] = Array.isArray(flagValue)
        ? splitValues(spec, flagValue).map((v) => parseValue(spec, v, `--${spec.flag}`))
        : parseValue(spec, flagValue, `--${spec.flag}`);
    } else if (envValue !== undefined && envValue !== "") {
      config[spec.key] = spec.type === "string[]" || spec.type === "list"
        ? splitValues(spec, envValue.split(spec.type === "list" ? "," : path.delimiter)).map((v) => parseValue(spec, v, spec.env))
        : parseValue(spec, envValue, spec.env);
    } else if (file[spec.key] !== undefined) {
      config[spec.key] = file[spec.key];
    }
  }
  return { help: false, config: config as unknown as ServeConfig, home };
}
