/**
 * The web page's files as the build wrote them (`core/scripts/build-web.mjs` into `dist/public/`):
 * `index.html`, and `assets/NAME-HASH.EXT` whose names change with their content. They are read
 * once into memory, so a request only ever looks a name up in a map: no path from a request
 * reaches the file system, and `..` or an encoded slash names nothing.
 */
import fsp from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** Where `npm run build` writes the page, from `dist/web/` and from `src/web/` alike. */
export const DEFAULT_WEB_DIR = fileURLToPath(new URL("../../dist/public/", import.meta.url));

/** One file of the page, read. */
export interface WebFile {
  body: Buffer;
  /** The `Content-Type` it is served with. */
  type: string;
}

/** The page: its HTML and its assets by file name. */
export interface WebFiles {
  index: WebFile;
  /** `app-3F2A9QK1.js` → the file; every name holds a hash of its content. */
  assets: ReadonlyMap<string, WebFile>;
}

/** The types of the files the build writes; anything else in `assets/` is not served. */
const TYPES: Readonly<Record<string, string>> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
};

/** Reads the page from `dir`; null when it was not built there (no `index.html`). */
export async function readWebFiles(dir: string): Promise<WebFiles | null> {
  const index = await fsp.readFile(path.join(dir, "index.html")).catch(() => null);
  if (index === null) return null;
  const assets = new Map<string, WebFile>();
  const names = await fsp.readdir(path.join(dir, "assets")).catch(() => []);
  for (const name of names) {
    const type = TYPES[path.extname(name)];
    if (type !== undefined) assets.set(name, { body: await fsp.readFile(path.join(dir, "assets", name)), type });
  }
  return { index: { body: index, type: "text/html; charset=utf-8" }, assets };
}
