/**
 * The core's `prepack` and `postpack` (`node scripts/pack-copies.mjs prepack|postpack`, run by npm in
 * `core/` on `npm pack` and `npm publish`; not shipped).
 *
 * prepack checks that the core is built and copies into it what the package ships from the
 * repository: the demo model and the dependency patches; postpack removes the copies, so the clone is
 * left as it was. The demo model stays in the repository's `models/`, where `npx shimmy serve` in a
 * clone serves it as `./models`; in the package it is `models/`, which an installed Shimmy lists as its
 * `demo` source (src/models/demo-root.ts). The patches stay in `patches/` for the root's
 * patch-package; the installed core applies its copies itself (scripts/postinstall.mjs).
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const CORE = fileURLToPath(new URL("../", import.meta.url));
const ROOT = path.join(CORE, "..");

/** What the package takes from the repository, at the same path in the package. */
const COPIES = [
  "models/stories260K.gguf",
  ...fs.readdirSync(path.join(ROOT, "patches")).filter((f) => f.endsWith(".patch")).map((f) => `patches/${f}`),
];

const step = process.argv[2];
if (step === "prepack") {
  if (!fs.existsSync(path.join(CORE, "dist", "cli", "main.js"))) {
    process.stderr.write("@shimmy/core is not built (dist/cli/main.js is missing): run npm run build first\n");
    process.exit(1);
  }
  for (const file of COPIES) {
    fs.mkdirSync(path.dirname(path.join(CORE, file)), { recursive: true });
    fs.copyFileSync(path.join(ROOT, file), path.join(CORE, file));
  }
} else if (step === "postpack") {
  for (const file of COPIES) {
    fs.rmSync(path.join(CORE, file), { force: true });
    // The folder the copy made, once empty (`models/`, `patches/`).
    const folder = path.dirname(path.join(CORE, file));
    if (fs.existsSync(folder) && fs.readdirSync(folder).length === 0) fs.rmdirSync(folder);
  }
} else {
  process.stderr.write("usage: node scripts/pack-copies.mjs prepack|postpack\n");
  process.exit(2);
}
