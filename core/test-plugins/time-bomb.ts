// A time bomb: its start function reads the clock (shimmy_now needs no permission) and spins forever
// once it is past the config value `bomb_at` (unix ms). Instances made before then come up fine, so
// it passes install and its first load, then hangs the instances that replace them. Without
// `bomb_at` it never goes off (compiled by the tests, not by tsc).
import { Config, Host, Memory } from "@extism/as-pdk";
import { length } from "@extism/as-pdk/lib/env";
import "./common"; // brings in pluginAbort, the --use abort target

@external("extism:host/user", "shimmy_now")
declare function shimmy_now(request: u64): u64;

/** `unix_ms` of shimmy_now's answer. */
function nowMs(): i64 {
  const answer = shimmy_now(Memory.allocateString("{}").offset);
  const text = new Memory(answer, length(answer)).toString();
  const start = text.indexOf('"unix_ms":') + 10;
  let end = start;
  while (end < text.length && text.charCodeAt(end) >= 48 && text.charCodeAt(end) <= 57) end++;
  return I64.parseInt(text.substring(start, end));
}

let spins: u64 = 0;
const bombAt = Config.get("bomb_at");
if (bombAt !== null && nowMs() >= I64.parseInt(<string>bombAt)) {
  while (true) {
    spins += 1;
  }
}

function out(text: string): void {
  Host.output(Uint8Array.wrap(String.UTF8.encode(text)));
}

/** Works while the instance does. */
export function ok(): i32 {
  out('{"value":1}');
  return 0;
}

/** Traps: the pool replaces the instance, and the replacement's start function runs. */
export function trap(): i32 {
  unreachable();
  return 0;
}

/** Never returns (the call's timeout ends it). */
export function loop(): i32 {
  while (true) {
    spins += 1;
    store<u64>(0, spins);
  }
  return 0;
}
