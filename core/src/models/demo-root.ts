/**
 * The demo model that ships inside the published package (`models/stories260K.gguf` beside `dist/`),
 * so an installed `shimmy serve` answers at once from any folder.
 *
 * Why a copy, and why only when installed: the repository keeps the demo model in its own `models/`,
 * which `npx shimmy serve` in a clone serves as `./models`; `npm pack` copies it into the package
 * (core/scripts/pack-copies.mjs). A source checkout (it has `src/`; the package ships only `dist/`)
 * never lists the package's folder, so a copy there (while `npm pack` runs, say) adds no model to a
 * clone's servers and their tests.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The core package's folder, from `src/models/` and `dist/models/` alike. */
const PACKAGE_DIR = fileURLToPath(new URL("../../", import.meta.url));

/**
 * The folder of the demo model in an installed package (`PACKAGE/models`), or null: in a source
 * checkout, or when the folder is missing.
 */
export function packagedDemoDir(packageDir: string = PACKAGE_DIR): string | null {
  const dir = path.join(packageDir, "models");
  if (fs.existsSync(path.join(packageDir, "src")) || !fs.existsSync(dir)) return null;
  return dir;
}
