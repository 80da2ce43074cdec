/**
 * `initPlugin`: writes a new plugin folder from `templates/init` (a manifest with one tool, `greet`,
 * and an example; `assembly/index.ts`; `README.md`; `.gitignore`) that builds and passes
 * `shimmy-plugin test` as it is.
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { validateManifest } from "./manifest.js";
import { tarballName } from "./pack.js";

/** This package's root (the same from src/ and dist/). */
const SDK_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const TEMPLATES = path.join(SDK_ROOT, "templates", "init");

/** A refused init: a bad name or a folder that is not empty. */
export class PluginInitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PluginInitError";
  }
}

export interface InitOptions {
  /** The folder to create; `./NAME` (the part after the scope, for `@owner/name`) unless given. */
  dir?: string;
}

export interface InitResult {
  /** Absolute path of the new plugin folder. */
  dir: string;
  /** The files written, relative to it. */
  files: string[];
}

/** Template file → the file it becomes in the plugin folder. */
const FILES: [template: string, target: string][] = [
  ["shimmy-plugin.json.tmpl", "shimmy-plugin.json"],
  ["index.ts.tmpl", path.join("assembly", "index.ts")],
  ["README.md.tmpl", "README.md"],
  ["gitignore.tmpl", ".gitignore"],
];

function render(template: string, vars: Record<string, string>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (whole, key: string) => vars[key] ?? whole);
}

/** Creates the plugin `name` (checked by the manifest's npm name rules). */
export async function initPlugin(name: string, options: InitOptions = {}): Promise<InitResult> {
  // JSON-escape the name before it goes into the manifest; a name that needs escaping is refused below anyway.
  const jsonName = JSON.stringify(name).slice(1, -1);
  const manifestText = render(await fs.readFile(path.join(TEMPLATES, "shimmy-plugin.json.tmpl"), "utf8"), { name: jsonName });
  const result = validateManifest(JSON.parse(manifestText));
  if (!result.ok) {
    const nameErrors = result.errors.filter((e) => e.path === "name" || e.path.startsWith("name."));
    const errors = nameErrors.length > 0 ? nameErrors : result.errors;
    throw new PluginInitError(`invalid plugin name ${JSON.stringify(name)}: ${errors.map((e) => e.message).join("; ")}`);
  }
  const dir = path.resolve(options.dir ?? name.replace(/^@[^/]+\//, ""));
  let entries: string[] | undefined;
  try {
    entries = await fs.readdir(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOTDIR") throw new PluginInitError(`${dir} exists and is not a folder`);
    if (code !== "ENOENT") throw error;
  }
  if (entries !== undefined && entries.length > 0) throw new PluginInitError(`${dir} exists and is not empty`);

  const vars = { name, tarball: tarballName(name, result.manifest.version) };
  await fs.mkdir(path.join(dir, "assembly"), { recursive: true });
  for (const [template, target] of FILES) {
    const text = target === "shimmy-plugin.json" ? manifestText : render(await fs.readFile(path.join(TEMPLATES, template), "utf8"), vars);
    await fs.writeFile(path.join(dir, target), text, { flag: "wx" });
  }
  return { dir, files: FILES.map(([, target]) => target.split(path.sep).join("/")) };
}
