/**
 * `initPlugin`: writes a new plugin folder from `templates/init` (a manifest with one tool, `greet`,
 * and an example; `assembly/index.ts`; `README.md`; `.gitignore`; a private `package.json`) that
 * builds and passes `shimmy-plugin test` as it is. With `kind: "step"` the manifest, the code and
 * the README come from `templates/init/step` instead: one workflow step, `count_words`, and its
 * examples; with `kind: "embedder"`, from `templates/init/embedder`: one embedder, `hashed-words`
 * (64-number vectors from hashed words, no model and no network), and its examples.
 *
 * The `package.json` is for development only: it names this SDK as a devDependency, so `npm install`
 * puts it in `node_modules/`, where the manifest's `$schema` points (an editor checks and completes
 * the manifest from it) and where `npx shimmy-plugin` finds its command. `pack` never reads it: the
 * package's own `package.json` is written from the manifest.
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
  /** What the plugin's one capability is: a tool (for models), a workflow step or an embedder. @default "tool" */
  kind?: InitKind;
}

/** The kinds of plugin `init` writes. */
export const INIT_KINDS = ["tool", "step", "embedder"] as const;

/** A kind of plugin `init` writes. */
export type InitKind = (typeof INIT_KINDS)[number];

/** The templates a step or embedder plugin has of its own, in `templates/init/KIND`; it shares the others. */
const KIND_TEMPLATES = new Set(["shimmy-plugin.json.tmpl", "index.ts.tmpl", "README.md.tmpl"]);

/** The path of `template` for a plugin of `kind`. */
function templatePath(kind: InitKind, template: string): string {
  return kind !== "tool" && KIND_TEMPLATES.has(template) ? path.join(TEMPLATES, kind, template) : path.join(TEMPLATES, template);
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
  ["package.json.tmpl", "package.json"],
];

/** This SDK's version: the devDependency the new plugin's `package.json` asks for. */
async function sdkVersion(): Promise<string> {
  const pkg = JSON.parse(await fs.readFile(path.join(SDK_ROOT, "package.json"), "utf8")) as { version: string };
  return pkg.version;
}

function render(template: string, vars: Record<string, string>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (whole, key: string) => vars[key] ?? whole);
}

/** Creates the plugin `name` (checked by the manifest's npm name rules). */
export async function initPlugin(name: string, options: InitOptions = {}): Promise<InitResult> {
  // JSON-escape the name before it goes into the manifest; a name that needs escaping is refused below anyway.
  const jsonName = JSON.stringify(name).slice(1, -1);
  const kind = options.kind ?? "tool";
  const manifestText = render(await fs.readFile(templatePath(kind, "shimmy-plugin.json.tmpl"), "utf8"), { name: jsonName });
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

  const vars = { name, tarball: tarballName(name, result.manifest.version), sdkVersion: await sdkVersion() };
  await fs.mkdir(path.join(dir, "assembly"), { recursive: true });
  for (const [template, target] of FILES) {
    const text = target === "shimmy-plugin.json" ? manifestText : render(await fs.readFile(templatePath(kind, template), "utf8"), vars);
    await fs.writeFile(path.join(dir, target), text, { flag: "wx" });
  }
  return { dir, files: FILES.map(([, target]) => target.split(path.sep).join("/")) };
}
