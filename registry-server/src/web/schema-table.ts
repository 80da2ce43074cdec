/**
 * A JSON Schema of type object (a tool's input, a plugin's settings) as a table of its properties:
 * name, type, whether it is required, description and constraints. The whole schema is also
 * shown as JSON beside it, so nothing this table leaves out is hidden.
 */
import { html, type SafeHtml } from "./html.js";

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A property's type in words: `string`, `integer | null`, `array of string`, `"a" | "b"`. */
export function typeLabel(schema: Record<string, unknown>): string {
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => JSON.stringify(v)).join(" | ");
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  const types = Array.isArray(schema.type) ? schema.type.map(String) : typeof schema.type === "string" ? [schema.type] : [];
  const label = types.map((type) => (type === "array" && isObject(schema.items) ? `array of ${typeLabel(schema.items)}` : type)).join(" | ");
  return label || "any";
}

const CONSTRAINTS: [key: string, label: string][] = [
  ["minimum", "min"],
  ["maximum", "max"],
  ["exclusiveMinimum", "above"],
  ["exclusiveMaximum", "below"],
  ["minLength", "min length"],
  ["maxLength", "max length"],
  ["minItems", "min items"],
  ["maxItems", "max items"],
  ["pattern", "pattern"],
  ["format", "format"],
  ["default", "default"],
];

/** The constraints of one property, e.g. `min 1 · max 100 · default 20`. */
export function constraintsLabel(schema: Record<string, unknown>): string {
  const parts = CONSTRAINTS.filter(([key]) => schema[key] !== undefined).map(([key, label]) => `${label} ${typeof schema[key] === "string" && key !== "pattern" && key !== "format" ? JSON.stringify(schema[key]) : String(schema[key])}`);
  if (schema.writeOnly === true) parts.push("secret");
  return parts.join(" · ");
}

/** The table of `schema`'s properties and the schema itself as JSON, in a `<details>`. */
export function schemaTable(schema: Record<string, unknown>, caption: string): SafeHtml {
  const properties = isObject(schema.properties) ? Object.entries(schema.properties).filter((entry): entry is [string, Record<string, unknown>] => isObject(entry[1])) : [];
  const required = new Set(Array.isArray(schema.required) ? schema.required.map(String) : []);
  const table =
    properties.length === 0
      ? html`<p class="muted">No parameters.</p>`
      : html`<table>
  <caption class="visually-hidden">${caption}</caption>
  <thead><tr><th scope="col">Name</th><th scope="col">Type</th><th scope="col">Required</th><th scope="col">Description</th></tr></thead>
  <tbody>
  ${properties.map(([name, property]) => {
    const constraints = constraintsLabel(property);
    return html`<tr>
    <th scope="row"><code>${name}</code></th>
    <td><code>${typeLabel(property)}</code></td>
    <td>${required.has(name) ? "yes" : "no"}</td>
    <td>${typeof property.description === "string" ? property.description : ""}${constraints ? html`<br><span class="muted">${constraints}</span>` : ""}</td>
  </tr>`;
  })}
  </tbody>
</table>`;
  return html`${table}
<details>
  <summary>${caption} (JSON Schema)</summary>
  <pre><code>${JSON.stringify(schema, null, 2)}</code></pre>
</details>`;
}
