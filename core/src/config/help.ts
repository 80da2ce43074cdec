/** `shimmy serve --help` and `docs/reference/config.md`, both made from the settings tables. */
import { configFileSchema } from "./config-file.js";
import { ENVIRONMENT_VARIABLES } from "./environment.js";
import { SERVE_OPTIONS, defaultServeConfig, type OptionSpec } from "./options.js";
import { registriesConfigSchema } from "./registries-schema.js";

function defaultText(spec: OptionSpec): string {
  if (spec.defaultText) return spec.defaultText;
  const value = defaultServeConfig()[spec.key];
  return Array.isArray(value) ? value.join(", ") : String(value);
}

/** `["-m", "--model FILE"]`: the short flag first, as llama.cpp's server lists them. */
function flagForms(spec: OptionSpec): string[] {
  const long = `--${spec.flag}${spec.valueName ? ` ${spec.valueName}` : ""}`;
  return spec.short ? [`-${spec.short}`, long] : [long];
}

/** `One of: a, b. ` for a setting with a fixed set of values, each passed through `quote`. */
function choicesText(spec: OptionSpec, quote = (value: string) => value): string {
  return spec.choices ? `One of: ${spec.choices.map(quote).join(", ")}. ` : "";
}

/** The text `shimmy serve --help` prints. */
export function serveHelp(): string {
  const lines = [
    "Usage: shimmy serve [options]",
    "",
    "Serves GGUF models over an OpenAI-compatible API at http://HOST:PORT/v1.",
    "Each setting may also come from its SHIMMY_* variable or from $SHIMMY_HOME/config.json;",
    "flags win over variables, variables over the file.",
    "",
    "Options:",
  ];
  for (const spec of SERVE_OPTIONS) {
    lines.push(`  ${flagForms(spec).join(", ")}`.padEnd(26) + `${spec.description}`);
    lines.push(" ".repeat(26) + `${choicesText(spec)}Default: ${defaultText(spec)}. Variable: ${spec.env}.`);
  }
  lines.push("  -h, --help".padEnd(26) + "Print this help.");
  lines.push("", "Environment:");
  for (const variable of ENVIRONMENT_VARIABLES) {
    lines.push(`  ${variable.name}`.padEnd(26) + variable.description);
    lines.push(" ".repeat(26) + `Default: ${variable.defaultText}.`);
  }
  return lines.join("\n") + "\n";
}

/** The keys of config.json that are not serve options, with their schema's description. */
function fileOnlyKeys(): [string, string][] {
  const optionKeys = new Set<string>(SERVE_OPTIONS.map((spec) => spec.key));
  return Object.entries(configFileSchema.properties)
    .filter(([key]) => !optionKeys.has(key))
    .map(([key, schema]) => [key, ((schema as { description?: string }).description ?? "").replaceAll("|", "\\|")]);
}

/** The Markdown of `docs/reference/config.md`. */
export function configReferenceMarkdown(): string {
  const code = (text: string) => `\`${text}\``;
  const rows = SERVE_OPTIONS.map((spec) => {
    const meaning = `${spec.description} ${choicesText(spec, code)}`.trimEnd();
    return `| ${flagForms(spec).map(code).join(", ")} | ${code(spec.env)} | ${code(spec.key)} | ${defaultText(spec)} | ${meaning} |`;
  });
  return [
    "# Configuration reference",
    "",
    "<!-- Generated from core/src/config/options.ts by `npm run docs`; a test checks it is current. -->",
    "",
    "`shimmy serve` reads each setting from its flag, else its `SHIMMY_*` environment variable, else",
    "`$SHIMMY_HOME/config.json` (`SHIMMY_HOME` defaults to `~/.shimmy`), else the default. The file is one",
    "JSON object whose keys are the names in the third column; an unknown key is an error, not ignored.",
    "",
    "| flag | variable | config.json key | default | meaning |",
    "|---|---|---|---|---|",
    ...rows,
    "",
    "These config.json keys have no flag and no variable:",
    "",
    "| config.json key | meaning |",
    "|---|---|",
    ...fileOnlyKeys().map(([key, description]) => `| \`${key}\` | ${description} |`),
    "",
    "These variables have no flag and no config.json key:",
    "",
    "| variable | default | meaning |",
    "|---|---|---|",
    ...ENVIRONMENT_VARIABLES.map((variable) => `| \`${variable.name}\` | ${variable.defaultText} | ${variable.description} |`),
    "",
    "## Plugin registries",
    "",
    "`shimmy plugin add|search|info|update|outdated` find plugins by name in a registry: `--registry URL`, else",
    "`SHIMMY_REGISTRY`, else the `registries` key of config.json. A bare first-party name (calculator, time,",
    "web-search, http-get, file-read) means the plugin bundled with Shimmy unless `--registry` or a scope names",
    "a registry. Tokens (for private registries and for publishing) live in secrets.json under",
    "`registries.URL.token`, written by `shimmy-plugin login`.",
    "",
    "| config.json key | meaning |",
    "|---|---|",
    ...Object.entries(registriesConfigSchema.properties).map(([key, schema]) => `| \`registries.${key}\` | ${schema.description} |`),
    "",
    "On start, stdout gets exactly one line, `{\"event\":\"listening\",\"url\":\"http://HOST:PORT\"}`; every log",
    "line goes to stderr as JSON.",
    "",
    "## When the start fails",
    "",
    "A mistake that stops the start is one line on stderr, without a stack, saying what is wrong and what",
    "to do, such as `shimmy: port 11435 is in use on 127.0.0.1: is another Shimmy running? Use --port to pick",
    "another port (--port 0 picks a free one)`. The checks come before anything slow (model discovery,",
    "llama.cpp's start):",
    "",
    "- a value out of range or of the wrong kind (`--port 99999`), or an unknown flag or config key: exit 2;",
    "- a `--gpu` backend this machine cannot use (the message names the ones it can, such as `auto, off`): exit 1;",
    "- a `--model` file that is missing, not a GGUF, one llama.cpp would crash on, or not a model (a vision",
    "  projector, an adapter): exit 1, as llama.cpp's server does for `-m`;",
    "- a busy or forbidden port, or a `--host` this machine does not have: exit 1. The port is bound here and",
    "  held while the models are found; requests that come meanwhile wait.",
    "",
    "Any other failure is a bug: Shimmy says so and asks for a report with the output of the same command",
    "run with `--log-level debug` (`SHIMMY_LOG_LEVEL=debug` for the other commands), which adds the stack.",
    "",
  ].join("\n");
}
