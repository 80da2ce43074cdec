import { Host } from "@extism/as-pdk";
import "./common"; // brings in pluginAbort, the --use abort target

let spins: i32 = 0;

/** Never returns. */
export function loop(): i32 {
  while (true) {
    spins++;
    store<i32>(0, spins);
  }
  return 0;
}

/** Allocates until the memory maximum stops it (AssemblyScript then aborts: a trap). */
export function grow(): i32 {
  const kept = new Array<Uint8Array>();
  while (true) kept.push(new Uint8Array(1 << 20));
  return kept.length;
}

/** Traps at once. */
export function trap(): i32 {
  unreachable();
  return 0;
}

/** Outputs text that is not JSON. */
export function badjson(): i32 {
  Host.output(Uint8Array.wrap(String.UTF8.encode("this is {not json")));
  return 0;
}

/** Outputs JSON that breaks its tool's outputSchema (value must be a number). */
export function wrongshape(): i32 {
  Host.output(Uint8Array.wrap(String.UTF8.encode('{"value":"a string"}')));
  return 0;
}

/** Outputs JSON that matches the shared outputSchema: shows the instance works after a failure. */
export function ok(): i32 {
  Host.output(Uint8Array.wrap(String.UTF8.encode('{"value":1}')));
  return 0;
}
