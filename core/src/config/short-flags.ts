/**
 * llama.cpp's short flags (`-m`, `-c`, `-np`, `-t`, `-p`), from the `short` field of the settings
 * table, so a `llama-server` command line works after `shimmy serve`.
 */
import { ConfigError } from "./config-error.js";
import type { OptionSpec } from "./options.js";

/**
 * `argv` with each short flag and its value replaced by `--flag=value`, before `parseArgs` reads it:
 * `parseArgs` knows only one-letter short flags and would read `-np` as `-n -p`. As in llama.cpp, a
 * short flag is a word of its own and the next word is its value, a negative number included.
 * Words after `--` are left alone.
 * @throws ConfigError naming the short flag when its value is missing (at the end, or another flag).
 * @example
 * expandShortFlags(["-m", "a.gguf", "-np", "4"], SERVE_OPTIONS); // ["--model=a.gguf", "--parallel=4"]
 */
export function expandShortFlags(argv: readonly string[], options: readonly OptionSpec[]): string[] {
  const byShort = new Map(options.filter((spec) => spec.short).map((spec) => [`-${spec.short}`, spec]));
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      out.push(...argv.slice(i));
      break;
    }
    const spec = byShort.get(arg);
    if (!spec) {
      out.push(arg);
      continue;
    }
    if (spec.type === "boolean") {
      out.push(`--${spec.flag}`);
      continue;
    }
    const value = argv[i + 1];
    if (value === undefined || (value.startsWith("-") && !/^-\d/.test(value))) {
      throw new ConfigError(`${arg} (--${spec.flag}) needs a value: ${arg} ${spec.valueName}; see shimmy serve --help`);
    }
    // `=` keeps a value that starts with a dash (-1) from reading as a flag.
    out.push(`--${spec.flag}=${value}`);
    i++;
  }
  return out;
}
