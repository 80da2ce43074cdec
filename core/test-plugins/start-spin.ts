// A start function that never returns: AssemblyScript's top-level code becomes the wasm start
// function, which runs while the module is instantiated (compiled by the tests, not by tsc).
import { Host } from "@extism/as-pdk";
import "./common"; // brings in pluginAbort, the --use abort target

let spins: u64 = 0;
while (true) {
  spins += 1;
}

/** Never reached: no instance ever comes up. */
export function ok(): i32 {
  Host.output(Uint8Array.wrap(String.UTF8.encode('{"value":1}')));
  return 0;
}
