/** `shimmy serve --help` and `docs/reference/config.md`, both made from the settings table. */
import { SERVE_OPTIONS, defaultServeConfig, type OptionSpec } from "./options.js";

function defaultText(spec: OptionSpec): string {
  if (spec.defaultText) return spec.defaultText;
  const value = defaultServeConfig()[spec.key];
  return Array.isArray(value) ? value.join(", ") : String(value);
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
    lines.push(`  --${spec.flag} ${spec.valueName}`.padEnd(26) + `${spec.description}`);
    lines.push(" ".repeat(26) + `Default: ${defaultText(spec)}. Variable: ${spec.env}.`);
  }
  lines.push("  -h, --help".padEnd(26) + "Print this help.");
  return lines.join("\n") + "\n";
}

/** The Markdown of `docs/reference/config.md`. */
export function configReferenceMarkdown(): string {
  const rows = SERVE_OPTIONS.map(
    (spec) =>
      `| \`--${spec.flag} ${spec.valueName}\` | \`${spec.env}\` | \`${spec.key}\` | ${defaultText(spec)} | ${spec.description} |`,
  );
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
    "On start, stdout gets exactly one line, `{\"event\":\"listening\",\"url\":\"http://HOST:PORT\"}`; every log",
    "line goes to stderr as JSON.",
    "",
  ].join("\n");
}
