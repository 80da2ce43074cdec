// An exported hs_init that never returns: Extism calls it right after instantiating the module
// (compiled by the tests, not by tsc).
import { Host } from "@extism/as-pdk";
import "./common"; // brings in pluginAbort, the --use abort target

let spins: u64 = 0;

/** Extism's Haskell-runtime hook, called once per instance before any export. */
export function hs_init(): void {
  while (true) {
    spins += 1;
  }
}

/** Never reached: no instance ever comes up. */
export function ok(): i32 {
  Host.output(Uint8Array.wrap(String.UTF8.encode('{"value":1}')));
  return 0;
}
