/**
 * `docs/reference/plugin-manifest.md`, rendered from the manifest schema's own `description`s so
 * the page and the validator never disagree. Registered in `scripts/docs.ts`; a test checks the
 * committed page is current.
 */
import { MANIFEST_SCHEMA } from "./manifest.js";

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
    "- every `examples[].tool` names a declared tool, its `input` matches that tool's `inputSchema`,",
    "  and its `output`, when given, matches the `outputSchema`;",
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
    "other fields. Only `tool` is run by this release of the core; the others are accepted so plugins",
    "can declare them ahead of their adapters.",
    "",
    ...kinds,
    "## Secrets",
    "",
    "A `config` property with `\"writeOnly\": true` is a secret (an API key): `shimmy plugin config`",
    "stores it in `$SHIMMY_HOME/secrets.json` (mode 0600), never in the lock file, and never prints it.",
    "",
    "## Example",
    "",
    "```json",
    JSON.stringify(example, null, 2),
    "```",
    "",
  ].join("\n");
}
