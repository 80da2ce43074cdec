import { Host, Memory } from "@extism/as-pdk";
import { length } from "@extism/as-pdk/lib/env";
import "./common"; // brings in pluginAbort, the --use abort target

@external("extism:host/user", "shimmy_chat")
declare function shimmy_chat(request: u64): u64;

/**
 * A tool that asks another model: its input is `{"model": ID}` (a forced call's grammar writes it),
 * the `shimmy_chat` request is that object with a fixed question and a 4-token cap, and its output
 * is the host's answer unchanged (`{"text"}` or `{"error"}`).
 */
export function ask(): i32 {
  const input = String.UTF8.decode(Host.input().buffer).trim();
  const request = input.substring(0, input.lastIndexOf("}")) + ',"messages":[{"role":"user","content":"hi"}],"max_tokens":4}';
  const answer = shimmy_chat(Memory.allocateString(request).offset);
  Host.output(new Memory(answer, length(answer)).toUint8Array());
  return 0;
}
