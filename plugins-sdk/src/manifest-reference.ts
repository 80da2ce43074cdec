/**
 * `docs/reference/plugin-manifest.md`, rendered from the manifest schema's own `description`s so
 * the page and the validator never disagree. Registered in `scripts/docs.ts`; a test checks the
 * committed page is current.
 */
import { HOST_LIMITS, instanceMemory } from "./host-limits.js";
import { LIMIT_DEFAULTS, MANIFEST_SCHEMA } from "./manifest.js";

type Node = { [keyword: string]: unknown };

const definitions = MANIFEST_SCHEMA.definitions as Record<string, Node>;

/** Follows a local `#/definitions/X` reference; a description beside the `$ref` wins over the target's. */
function resolve(node: Node): Node {
  const ref = node.$ref;
  if (typeof ref !== "string") return node;
  const { $ref: _, ...rest } = node;
  return { ...resolve(definitions[ref.replace("#/definitions/", "")]!), ...rest };
}

/** Table cells may not hold a bare `|` or a line break. */
function cell(text: string): string {
  return text.replaceAll("|", "\\|").replaceAll("\n", " ");
}

function range(node: Node): string {
  const low = node.minimum ?? node.minItems ?? node.minLength;
  const high = node.maximum ?? node.maxItems ?? node.maxLength;
  if (low === undefined && high === undefined) return "";
  const unit = node.type === "integer" ? "" : node.type === "array" ? " items" : " chars";
  if (high === undefined) return `, ≥ ${String(low)}${unit}`;
  return `, ${String(low ?? 0)}–${String(high)}${unit}`;
}

/** A short type for the table: `string`, `integer, 1–16384`, `array of origin`, `"tool"`. */
function typeOf(raw: Node): string {
  const node = resolve(raw);
  if (node.const !== undefined) return JSON.stringify(node.const);
  if (Array.isArray(node.enum)) return node.enum.map((value) => JSON.stringify(value)).join(" \\| ");
  if (Array.isArray(node.anyOf)) return (node.anyOf as Node[]).map((option) => typeOf(option)).join(" or ");
  const ref = typeof raw.$ref === "string" ? raw.$ref.replace("#/definitions/", "") : undefined;
  if (ref === "objectSchema" || ref === "anySchema") return "JSON Schema";
  if (ref === "origin" || ref === "folder" || ref === "export") return `string (${ref})`;
  if (node.type === "array") {
    const items = node.items as Node;
    const itemRef = typeof items.$ref === "string" ? items.$ref.replace("#/definitions/", "") : undefined;
    return `array of ${itemRef ?? String(resolve(items).type ?? "any")}${range(node)}`;
  }
  if (Array.isArray(node.type)) return node.type.join(" or ");
  if (node.type === undefined) return "any JSON";
  return `${String(node.type)}${range(node)}`;
}

/** Whether the table should list the node's own fields: objects Shimmy owns, not authors' schemas. */
function ownedObject(node: Node): Node | undefined {
  if (node.additionalProperties === false && node.properties) return node;
  if (node.type === "array") {
    const items = resolve(node.items as Node);
    if (items.additionalProperties === false && items.properties) return items;
  }
  if (Array.isArray(node.anyOf)) return (node.anyOf as Node[]).map(resolve).find((option) => option.properties);
  return undefined;
}

/** One row per field, owned sub-objects flattened with dotted names (`[]` marks an array's items). */
function rows(object: Node, prefix: string): string[] {
  const required = new Set((object.required as string[] | undefined) ?? []);
  const out: string[] = [];
  for (const [key, raw] of Object.entries(object.properties as Record<string, Node>)) {
    const node = resolve(raw);
    const name = `${prefix}${key}`;
    const fallback = node.default === undefined ? "" : `\`${JSON.stringify(node.default)}\``;
    const meaning = String(node.description ?? "");
    out.push(`| \`${name}\` | ${cell(typeOf(raw))} | ${required.has(key) ? "yes" : ""} | ${cell(fallback)} | ${cell(meaning)} |`);
    const inner = ownedObject(node);
    if (inner && key !== "capabilities") out.push(...rows(inner, node.type === "array" ? `${name}[].` : `${name}.`));
  }
  return out;
}

function mib(bytes: number): string {
  return `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MiB`;
}

/** What `limits` mean in memory and instances: the figures the host enforces. */
function limitsSection(): string[] {
  const d = instanceMemory(LIMIT_DEFAULTS);
  return [
    "## Memory and instances",
    "",
    `The host runs ${HOST_LIMITS.instancesPerPlugin} instances of each plugin, each one call at a time, each in its own`,
    "worker thread; further calls wait for a free instance. One instance holds at most:",
    "",
    "| part | bound | with the default limits |",
    "|---|---|---|",
    `| wasm memory | \`memoryMaxPages\` × 64 KiB (the module's declared maximum) | ${mib(d.wasm)} |`,
    `| Extism memory blocks live in one call (input, output, allocations, host answers) | \`memoryMaxPages\` × 64 KiB + 2 × \`maxResponseBytes\` + ${HOST_LIMITS.answerEnvelopeBytes / 1024} KiB | ${mib(d.blocks)} |`,
    `| Extism vars | ${mib(HOST_LIMITS.varBytes)} | ${mib(d.vars)} |`,
    `| the worker's V8 heap | ${HOST_LIMITS.workerHeapMiB} MiB | ${mib(d.heap)} |`,
    `| **one instance** | 2 × \`memoryMaxPages\` × 64 KiB + 2 × \`maxResponseBytes\` + ${mib(HOST_LIMITS.answerEnvelopeBytes + HOST_LIMITS.varBytes + d.heap)} | **${mib(d.total)}** |`,
    "",
    `A plugin can therefore make the host hold up to ${HOST_LIMITS.instancesPerPlugin} × that (${mib(HOST_LIMITS.instancesPerPlugin * d.total)} with the defaults).`,
    "A call past a memory bound fails with `memory_limit` and its instance is replaced. `shimmy plugin install`",
    "shows every limit a plugin raises above its default before it asks.",
    "",
  ];
}

const HEADER = ["| field | type | required | default | meaning |", "|---|---|---|---|---|"];

/** The Markdown of the plugin manifest reference page. */
export function pluginManifestReferenceMarkdown(): string {
  const example = (MANIFEST_SCHEMA.examples as unknown[])[0];
  const kinds = ["tool", "step", "router", "embedder"].flatMap((kind) => {
    const definition = definitions[kind]!;
    return [`### \`${kind}\``, "", String(definition.description), "", ...HEADER, ...rows(definition, "capabilities[]."), ""];
  });
  return [
    "# Plugin manifest reference (`shimmy-plugin.json`)",
    "",
    "<!-- Generated from plugins-sdk/schema/shimmy-plugin.schema.json by `npm run docs`; a test checks it is current. -->",
    "",
    String(MANIFEST_SCHEMA.description),
    "",
    "The JSON Schema (draft-07) ships as `@shimmy/plugin-sdk/schema`; `validateManifest()` from",
    "`@shimmy/plugin-sdk` applies it plus the rules a schema cannot state. Every object Shimmy owns",
    "refuses unknown keys: a misspelt field is an error, never silently ignored.",
    "",
    "Checked beyond the schema:",
    "",
    "- `version` is a valid semver version and `shimmy` a valid semver range (the `semver` package's rules);",
    "  a core loads the plugin only when its version satisfies `shimmy`, prereleases included;",
    "- capability names are unique per kind;",
    "- tool `inputSchema`/`outputSchema`, step `input`/`output` and `config` are valid JSON Schemas",
    "  (their `$schema` picks draft-07, 2019-09 or 2020-12; draft-07 without one);",
    "- every example names exactly one of a declared tool (`examples[].tool`) or step (`examples[].step`),",
    "  its `input` matches that tool's `inputSchema` or that step's `input`, and its `output`, when given,",
    "  matches the `outputSchema` or the step's `output`;",
    "- every `{config.KEY}` template in `permissions` names a property of `config`.",
    "",
    "Errors name a dotted path into the file, such as `capabilities.0.inputSchema` or `permissions.net.1`.",
    "",
    "## Fields",
    "",
    ...HEADER,
    ...rows(MANIFEST_SCHEMA as Node, ""),
    "",
    "## Capabilities",
    "",
    "Each entry of `capabilities` has a `kind` and the `export` the host calls; the kind decides the",
    "other fields. This release of the core runs `tool` (offered to models, `POST /api/tools/call`),",
    "`step` (called by workflows), `router` (called by routes: docs/guides/routing.md) and `embedder`",
    "(the model `PLUGIN/NAME` on `/v1/embeddings`: docs/guides/writing-a-plugin.md).",
    "",
    ...kinds,
    "## Limits the host sets",
    "",
    "Beyond `limits`, the host bounds every plugin the same way (Shimmy's own settings, not manifest fields):",
    "",
    `- **Instantiation deadline: ${HOST_LIMITS.startTimeoutMs / 1000} s.** Instantiating an instance runs the module's start function`,
    `  (AssemblyScript's top-level code) and then an exported \`hs_init\`; past ${HOST_LIMITS.startTimeoutMs / 1000} s the instance's`,
    "  worker is terminated. `shimmy plugin install` instantiates the module once, with nothing",
    "  granted, and refuses one that does not come up; a server lists a plugin whose instances do not",
    "  come up with status `error` and the reason (`GET /api/plugins`, `/health`). An instance that",
    `  replaces a broken one is held to the same deadline; after ${HOST_LIMITS.startFailuresInARow} failed starts in a row the plugin is`,
    "  marked failed and not started again until it is reinstalled, reconfigured, or disabled and enabled.",
    "  Keep top-level code and `hs_init` short: do the work in the exports.",
    `- **Queue: ${HOST_LIMITS.queuedCallsPerPlugin} waiting calls per plugin.** Each instance (${HOST_LIMITS.instancesPerPlugin} per plugin) runs one call at a time;`,
    `  further calls wait in line, and one more past ${HOST_LIMITS.queuedCallsPerPlugin} waiting is refused at once with \`plugin_busy\``,
    "  (503, `Retry-After`). Time in line counts toward `limits.timeoutMs`: a call fails with",
    "  `tool_timeout` (`step_timeout` for a step) once `timeoutMs` has passed since it arrived, running or not.",
    "",
    ...limitsSection(),
    "## Secrets",
    "",
    "A `config` property with `\"writeOnly\": true` is a secret (an API key): `shimmy plugin config`",
    "stores it in `$SHIMMY_HOME/secrets.json` (mode 0600), never in the lock file, and never prints it.",
    "",
    "## Defaults",
    "",
    "The `default`s of the `config` schema count as set: the host fills them in where the user set",
    "nothing, both in the config the plugin reads and before it expands `{config.KEY}` templates, and",
    "`shimmy plugin install` and `config` show and ask about the permissions with them filled in. A",
    "default inside `allOf` / `if` / `then` depends on other settings, so a plugin can grant a different",
    "origin per choice: `web-search` grants `{config.url}`, and `url` defaults to the public API of the",
    "`provider` picked (its `shimmy-plugin.json` shows how); a `url` the user sets replaces it. The host",
    "applies defaults until none is left to fill, in the schema's order (`allOf` items in turn).",
    "",
    "## Example",
    "",
    "```json",
    JSON.stringify(example, null, 2),
    "```",
    "",
  ].join("\n");
}
