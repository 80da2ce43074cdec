/** `npm run plugins:pack`: builds every first-party plugin and writes `plugins/NAME/NAME-VERSION.tgz`. */
import { packFirstPartyPlugins } from "./first-party-plugins.js";

const packed = await packFirstPartyPlugins();
let failed = false;
for (const [name, plugin] of Object.entries(packed)) {
  if (plugin.ok) {
    process.stdout.write(`${plugin.tgz}\n  ${plugin.integrity}\n`);
  } else {
    failed = true;
    process.stderr.write(`plugins/${name}: ${plugin.error}\n`);
  }
}
process.exitCode = failed ? 1 : 0;
