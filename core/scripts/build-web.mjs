/**
 * Builds the web page (core/web/) into dist/public/, the second step of `npm run build`: esbuild
 * bundles the script (with marked, DOMPurify and highlight.js) and the style sheet, minified, under
 * names that hold a hash of their content (`assets/app-XXXXXXXX.js`), and index.html is written
 * naming them. The server (src/web/) serves exactly these files; the package ships them in dist/.
 */
import { build } from "esbuild";
import fs from "node:fs/promises";
import path from "node:path";

const core = path.resolve(import.meta.dirname, "..");
const web = path.join(core, "web");
const out = path.join(core, "dist/public");

// Old hashed files would otherwise pile up, and be served, after every change.
await fs.rm(out, { recursive: true, force: true });
const result = await build({
  entryPoints: { app: path.join(web, "main.ts"), favicon: path.join(web, "favicon.svg") },
  outdir: path.join(out, "assets"),
  entryNames: "[name]-[hash]",
  assetNames: "[name]-[hash]",
  bundle: true,
  format: "esm",
  platform: "browser",
  // Browsers of the last few years: top-level await, optional chaining, dialog.
  target: ["es2022", "chrome100", "firefox100", "safari16"],
  minify: true,
  loader: { ".svg": "copy" },
  legalComments: "eof",
  metafile: true,
  logLevel: "warning",
});

/** The output file of `entry`, as a URL path under /assets/. */
function outputOf(entry, key = "path") {
  for (const [file, output] of Object.entries(result.metafile.outputs)) {
    if (output.entryPoint && path.resolve(output.entryPoint) === entry) return `/assets/${path.basename(key === "path" ? file : output.cssBundle)}`;
  }
  throw new Error(`esbuild wrote nothing for ${entry}`);
}

const html = (await fs.readFile(path.join(web, "index.html"), "utf8"))
  .replace("%SCRIPT%", outputOf(path.join(web, "main.ts")))
  .replace("%STYLE%", outputOf(path.join(web, "main.ts"), "css"))
  .replace("%ICON%", outputOf(path.join(web, "favicon.svg")));
await fs.writeFile(path.join(out, "index.html"), html);
