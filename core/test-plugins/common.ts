// Shared helpers for the host's AssemblyScript test plugins (compiled by host.test.ts, not by tsc).
import { Host, Memory } from "@extism/as-pdk";
import { error_set, length } from "@extism/as-pdk/lib/env";

/** AssemblyScript's abort (assert, bounds, out of memory): an Extism error, then a trap. */
export function pluginAbort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  const text = message === null ? "abort" : message;
  error_set(Memory.allocateString(text).offset);
  unreachable();
}

/** Passes this call's input to a JSON host function and outputs its JSON answer unchanged. */
export function relay(call: (offset: u64) => u64): void {
  const request = Memory.allocateBytes(Host.input());
  const answer = call(request.offset);
  Host.output(new Memory(answer, length(answer)).toUint8Array());
}
