// Allocation bombs and kernel checks for the host's caps (compiled by host.test.ts, not by tsc).
import { Config, Host, Memory, Var } from "@extism/as-pdk";
import { alloc, free, var_set } from "@extism/as-pdk/lib/env";
import "./common"; // brings in pluginAbort, the --use abort target

@external("extism:host/user", "shimmy_now")
declare function shimmy_now(request: u64): u64;

function out(text: string): void {
  Host.output(Uint8Array.wrap(String.UTF8.encode(text)));
}

/** Calls the Extism kernel's alloc for 1 MiB blocks in a loop, keeping every one. */
export function alloc_bomb(): i32 {
  let kept: u64 = 0;
  while (true) kept += alloc(1 << 20);
  return <i32>kept;
}

/** Sets ever more 64 KiB vars (one value block, reused; the names are freed). */
export function var_bomb(): i32 {
  const value = alloc(64 * 1024);
  for (let i = 0; ; i++) {
    const key = Memory.allocateString("key" + i.toString());
    var_set(key.offset, value);
    key.free();
  }
  return 0;
}

/** Calls shimmy_now in a tight loop and keeps every answer block. */
export function now_bomb(): i32 {
  const request = Memory.allocateString("{}");
  let kept: u64 = 0;
  while (true) kept += shimmy_now(request.offset);
  return <i32>kept;
}

/** Makes empty blocks forever: no bytes, but each costs the worker's heap. */
export function tiny_blocks(): i32 {
  let kept: u64 = 0;
  while (true) kept += alloc(0);
  return <i32>kept;
}

/** Allocates and frees 1 MiB 200 times: free gives the bytes back, so this stays under the cap. */
export function free_loop(): i32 {
  for (let i = 0; i < 200; i++) free(alloc(1 << 20));
  out('{"value":200}');
  return 0;
}

/** Counts its calls in a var: vars outlive a call. */
export function counter(): i32 {
  const current = Var.getString("count");
  const n = current === null ? 1 : I32.parseInt(current) + 1;
  Var.set("count", Uint8Array.wrap(String.UTF8.encode(n.toString())));
  out('{"value":' + n.toString() + "}");
  return 0;
}

/** Outputs {"value": the config value "greeting"} (or null). */
export function greeting(): i32 {
  const value = Config.get("greeting");
  out(value === null ? '{"value":null}' : '{"value":"' + value + '"}');
  return 0;
}

/** A failed assert: the abort handler sets the message as the call's error, then traps. */
export function crash(): i32 {
  assert(false, "boom: ünïcödé assertion");
  return 0;
}

/** Input `{"n":N}`: allocates one block of N bytes and keeps it, then outputs {"value":1}. */
export function alloc_exact(): i32 {
  const text = Host.inputString();
  const n = I64.parseInt(text.substring(5, text.length - 1));
  alloc(<u64>n);
  out('{"value":1}');
  return 0;
}
