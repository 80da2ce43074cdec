/**
 * The core's `postinstall`: applies the repository's dependency patches (`patches/*.patch`, copied
 * into the package by `npm pack`) to the core's own dependencies when it is installed as a package.
 *
 * In a clone, the root's `patch-package` applies them, but npm never runs a root script of someone
 * else's project: after `npm i -g` of the packed core, node-llama-cpp would be the unpatched one, and a
 * raw completion could sample `max_tokens + 1` tokens (patches/README.md). This applies the same
 * patch files, hunk by hunk, matched on their text (not line numbers), to whichever copy of the
 * dependency Node resolves from the core (nested under it in a global install). Each file is checked
 * against the patched text first, so a second run (`npm rebuild`) changes nothing. A source checkout
 * (it has `src/`) is left to patch-package. It fails the install when a patch does not fit: the core
 * depends on the exact versions the patches were made for.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The core package's folder. */
const PACKAGE_DIR = fileURLToPath(new URL("../", import.meta.url));

/**
 * @typedef {{ before: string, after: string }} Hunk  The hunk's old and new text (context included).
 * @typedef {{ file: string, hunks: Hunk[] }} FilePatch  `file`: the path inside the dependency.
 */

/**
 * `node-llama-cpp+3.22.1.patch` → `{name: "node-llama-cpp", version: "3.22.1"}` (`@a+b+1.0.0` for `@a/b`),
 * patch-package's file naming.
 * @param {string} fileName
 */
export function patchTarget(fileName) {
  const match = /^(.+)\+([^+]+)\.patch$/.exec(fileName);
  if (!match) throw new Error(`${fileName} is not named NAME+VERSION.patch`);
  return { name: match[1].replace("+", "/"), version: match[2] };
}

/**
 * The files and hunks of a patch-package patch (a git unified diff under `node_modules/NAME/`).
 * @param {string} text
 * @param {string} name  The patched package.
 * @returns {FilePatch[]}
 */
export function parsePatch(text, name) {
  /** @type {Array<{ file: string, hunks: Array<{ before: string[], after: string[] }> }>} */
  const files = [];
  const prefix = `b/node_modules/${name}/`;
  /** @type {{ before: string[], after: string[] } | null} */
  let hunk = null;
  for (const line of text.split("\n")) {
    if (line.startsWith("+++ ")) {
      const target = line.slice(4);
      if (!target.startsWith(prefix)) throw new Error(`the patch of ${name} changes ${target}`);
      files.push({ file: target.slice(prefix.length), hunks: [] });
      hunk = null;
    } else if (line.startsWith("@@") && files.length > 0) {
      hunk = { before: [], after: [] };
      files[files.length - 1].hunks.push(hunk);
    } else if (hunk && /^[ +-]/.test(line)) {
      if (!line.startsWith("+")) hunk.before.push(line.slice(1));
      if (!line.startsWith("-")) hunk.after.push(line.slice(1));
    } else if (!line.startsWith("\\")) {
      hunk = null; // the end of a hunk ("\ No newline at end of file" belongs to it)
    }
  }
  return files.map(({ file, hunks }) => ({
    file,
    hunks: hunks.map((h) => ({ before: h.before.join("\n"), after: h.after.join("\n") })),
  }));
}

/**
 * The text with every hunk applied; the same text when every hunk already is.
 * @param {string} source
 * @param {Hunk[]} hunks
 * @param {string} what  Named in errors.
 */
export function applyHunks(source, hunks, what) {
  let text = source;
  for (const { before, after } of hunks) {
    // Applied already: its new text is there, and its old text gone (unless the new one contains it).
    if (text.includes(after) && (!text.includes(before) || after.includes(before))) continue;
    const at = text.indexOf(before);
    if (at === -1 || text.indexOf(before, at + 1) !== -1) throw new Error(`a hunk of the patch does not fit ${what}`);
    text = text.slice(0, at) + after + text.slice(at + before.length);
  }
  return text;
}

/**
 * The folder of `name` as Node resolves it from `from` (its `node_modules`, then each parent's), or null.
 * @param {string} name
 * @param {string} from
 */
export function dependencyDir(name, from) {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, "node_modules", name);
    if (fs.existsSync(path.join(candidate, "package.json"))) return candidate;
    if (path.dirname(dir) === dir) return null;
  }
}

/**
 * Applies every `PACKAGE/patches/*.patch` to the dependency it names.
 * @param {string} packageDir
 * @returns {string[]} One line per patched file: what was done.
 */
export function applyPatches(packageDir) {
  const patches = path.join(packageDir, "patches");
  if (!fs.existsSync(patches)) return [];
  const done = [];
  for (const patchFile of fs.readdirSync(patches).filter((f) => f.endsWith(".patch")).sort()) {
    const { name, version } = patchTarget(patchFile);
    const dir = dependencyDir(name, packageDir);
    if (!dir) throw new Error(`${patchFile}: ${name} is not installed beside ${packageDir}`);
    const installed = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")).version;
    if (installed !== version) throw new Error(`${patchFile} is for ${name} ${version}, but ${installed} is installed`);
    for (const { file, hunks } of parsePatch(fs.readFileSync(path.join(patches, patchFile), "utf8"), name)) {
      const target = path.join(dir, file);
      const source = fs.readFileSync(target, "utf8");
      const patched = applyHunks(source, hunks, `${name}/${file}`);
      if (patched !== source) fs.writeFileSync(target, patched);
      done.push(`${name}/${file}: ${patched === source ? "already patched" : "patched"}`);
    }
  }
  return done;
}

if (process.argv[1] && fs.realpathSync(process.argv[1]) === fs.realpathSync(fileURLToPath(import.meta.url))) {
  if (fs.existsSync(path.join(PACKAGE_DIR, "src"))) process.exit(0); // a clone: patch-package's job
  try {
    for (const line of applyPatches(PACKAGE_DIR)) process.stdout.write(`@shimmy/core: ${line}\n`);
  } catch (error) {
    process.stderr.write(`@shimmy/core: cannot patch its dependencies: ${error instanceof Error ? error.message : error}\n`);
    process.exitCode = 1;
  }
}
