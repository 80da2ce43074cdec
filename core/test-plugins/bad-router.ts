// A model router that misbehaves each way a router can (test/routing.e2e.test.ts): it traps, spins past
// its deadline, or names a model that is not one of the route's candidates.
import { Host } from "@extism/as-pdk";
import "./common"; // brings in pluginAbort, the --use abort target

let spins: i32 = 0;

/** Traps at once. */
export function trap(): i32 {
  unreachable();
  return 0;
}

/** Never returns: the host's deadline ends it. */
export function loop(): i32 {
  while (true) {
    spins++;
    store<i32>(0, spins);
  }
  return 0;
}

/** Answers with a model no route has. */
export function stranger(): i32 {
  Host.output(Uint8Array.wrap(String.UTF8.encode('{"model":"not-a-candidate","reason":"made up"}')));
  return 0;
}
