/**
 * Resolves `shimmy serve`'s settings from flags, then `SHIMMY_*` variables, then
 * `$SHIMMY_HOME/config.json`, then the defaults, in that order of precedence.
 */
import path from "node:path";
import { parseArgs } from "node:util";
import { parseKeepAlive, parseRetention } from "./duration.js";
import { ConfigError } from "./config-error.js";
import { readConfigFile, readSecretsFile } from "./config-file.js";
import { defaultPluginsOf, type DefaultPlugins } from "./default-plugins.js";
import { shimmyHome } from "./environment.js";
import { SERVE_OPTIONS, defaultServeConfig, type OptionSpec, type ServeConfig } from "./options.js";
import { expandShortFlags } from "./short-flags.js";

/** Where settings come from; tests pass their own. */
export interface LoadConfigOptions {
  argv: string[];
  env?: NodeJS.ProcessEnv;
}

/** The outcome: settings to serve with, or a request for help. */
export type LoadedConfig =
  | { help: true }
  | { help: false; config: ServeConfig; home: string; aliases: Record<string, string>; defaultPlugins: DefaultPlugins };

const BYTE_UNITS: Record<string, number> = { "": 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

function parseValue(spec: OptionSpec, raw: string, source: string): string | number | boolean {
  if (spec.type === "boolean") {
    if (/^(1|true|yes|on)$/i.test(raw.trim())) return true;
    if (/^(0|false|no|off)$/i.test(raw.trim())) return false;
    throw new ConfigError(`${source} must be true or false, got "${raw}"`);
  }
  if (spec.type === "bytes") {
    const match = /^(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?$/i.exec(raw.trim());
    if (!match) throw new ConfigError(`${source} must be a size such as 8G, 512M or a number of bytes, got "${raw}"`);
    return Math.round(Number(match[1]) * BYTE_UNITS[match[2]!.toUpperCase()]!);
  }
  if (spec.type === "integer") {
    if (!/^\d+$/.test(raw.trim())) throw new ConfigError(`${source} must be a whole number, got "${raw}"`);
    const value = Number(raw);
    if (spec.minimum !== undefined && value < spec.minimum) {
      throw new ConfigError(`${source} must be at least ${spec.minimum}, got ${value}`);
    }
    if (spec.maximum !== undefined && value > spec.maximum) {
      throw new ConfigError(`${source} must be at most ${spec.maximum}, got ${value}`);
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
      args: expandShortFlags(argv, SERVE_OPTIONS),
      strict: true,
      allowPositionals: false,
      options: {
        help: { type: "boolean", short: "h" },
        ...Object.fromEntries(
          SERVE_OPTIONS.map((spec) => [
            spec.flag,
            spec.type === "boolean" ? { type: "boolean" as const } : { type: "string" as const, multiple: spec.type === "string[]" || spec.type === "list" },
          ]),
        ),
      },
    });
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`${(err as Error).message}; see shimmy serve --help`);
  }
  if (parsed.values.help) return { help: true };

  const home = shimmyHome(env);
  const file = { ...readConfigFile(home), ...readSecretsFile(home) };
  const config = defaultServeConfig() as unknown as Record<string, unknown>;
  for (const spec of SERVE_OPTIONS) {
    const flagValue = (parsed.values as Record<string, string | string[] | boolean | undefined>)[spec.flag];
    const envValue = env[spec.env];
    if (typeof flagValue === "boolean") {
      config[spec.key] = flagValue;
    } else if (flagValue !== undefined) {
      config[spec.key] = Array.isArray(flagValue)
        ? splitValues(spec, flagValue).map((v) => parseValue(spec, v, `--${spec.flag}`))
        : parseValue(spec, flagValue, `--${spec.flag}`);
    } else if (envValue !== undefined && envValue !== "") {
      config[spec.key] = spec.type === "string[]" || spec.type === "list"
        ? splitValues(spec, envValue.split(spec.type === "list" ? "," : path.delimiter)).map((v) => parseValue(spec, v, spec.env))
        : parseValue(spec, envValue, spec.env);
    } else if (file[spec.key] !== undefined) {
      const fromFile = file[spec.key];
      config[spec.key] = spec.type === "bytes" && typeof fromFile === "string" ? parseValue(spec, fromFile, `config.json ${spec.key}`) : fromFile;
    }
  }
  const loadedConfig = config as unknown as ServeConfig;
  try {
    parseKeepAlive(loadedConfig.keepAlive, "--keep-alive");
    parseRetention(loadedConfig.responseTtl, "--response-ttl");
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  return { help: false, config: loadedConfig, home, aliases: (file.aliases ?? {}) as Record<string, string>, defaultPlugins: defaultPluginsOf(file) };
}
