/**
 * `npm run plugins:bundle`: packs every first-party plugin reproducibly (the SDK's pack, as
 * `shimmy-plugin publish` does) into `core/bundled-plugins/NAME-VERSION.tgz` and pins each in
 * `core/bundled-plugins/index.json` by its sha512 integrity. The output is committed, so the CLI
 * installs first-party plugins on a fresh clone with no registry; test/bundled-plugins.test.ts
 * checks it still matches a fresh build of `plugins/`.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { tarballName } from "@shimmy/plugin-sdk/pack";
import { packFirstPartyPlugins, PLUGINS_DIR } from "./first-party-plugins.js";

/** `core/bundled-plugins/`. */
export const BUNDLE_DIR = fileURLToPath(new URL("../core/bundled-plugins/", import.meta.url));

const stage = fs.mkdtempSync(path.join(os.tmpdir(), "shimmy-bundle-"));
try {
  const packed = await packFirstPartyPlugins(stage);
  const plugins: Record<string, unknown> = {};
  const failures = Object.entries(packed).filter(([, p]) => !p.ok);
  if (failures.length > 0) {
    for (const [name, p] of failures) process.stderr.write(`plugins/${name}: ${p.ok ? "" : p.error}\n`);
    process.exit(1);
  }
  fs.mkdirSync(BUNDLE_DIR, { recursive: true });
  for (const old of fs.readdirSync(BUNDLE_DIR)) if (old.endsWith(".tgz")) fs.rmSync(path.join(BUNDLE_DIR, old));
  for (const [name, plugin] of Object.entries(packed)) {
    if (!plugin.ok) continue;
    const file = tarballName(name, plugin.version);
    fs.copyFileSync(plugin.tgz, path.join(BUNDLE_DIR, file));
    const manifest = JSON.parse(fs.readFileSync(path.join(PLUGINS_DIR, name, "shimmy-plugin.json"), "utf8")) as Record<string, unknown>;
    plugins[name] = { version: plugin.version, file, integrity: plugin.integrity, wasmSha256: plugin.wasmSha256, manifest };
    process.stdout.write(`core/bundled-plugins/${file}\n  ${plugin.integrity}\n`);
  }
  fs.writeFileSync(path.join(BUNDLE_DIR, "index.json"), JSON.stringify({ bundleVersion: 1, plugins }, null, 2) + "\n");
} finally {
  fs.rmSync(stage, { recursive: true, force: true });
}
