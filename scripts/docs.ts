/** Writes the generated reference pages: `npm run docs`. */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { configReferenceMarkdown } from "../core/src/config/help.js";
import { errorsReferenceMarkdown } from "../core/src/errors-reference.js";
import { troubleshootingMarkdown } from "../core/src/errors-troubleshooting.js";
import { jsonSchemaReferenceMarkdown } from "../core/src/openai/json-schema/reference.js";
import { pluginManifestReferenceMarkdown } from "../plugins-sdk/src/manifest-reference.js";
import { workflowReferenceMarkdown } from "../core/src/workflows/workflow-reference.js";

/** Each generated page, by its path from the repository root. */
export const GENERATED_DOCS: Record<string, () => string> = {
  "docs/reference/config.md": configReferenceMarkdown,
  "docs/reference/errors.md": errorsReferenceMarkdown,
  "docs/reference/json-schema.md": jsonSchemaReferenceMarkdown,
  "docs/reference/plugin-manifest.md": pluginManifestReferenceMarkdown,
  "docs/reference/workflow.md": workflowReferenceMarkdown,
  "docs/guides/troubleshooting.md": troubleshootingMarkdown,
};

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
  for (const [file, render] of Object.entries(GENERATED_DOCS)) {
    fs.writeFileSync(path.join(root, file), render());
    console.log(`wrote ${file}`);
  }
}
